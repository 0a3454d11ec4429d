"""RoeClient against recorded sessions (tests/cassettes), sync and async from one test body."""

from __future__ import annotations

import pytest

from langchain_roe import (
    AgentJobResultItem,
    AgentJobStatusCode,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RoeClient,
    ServerError,
)
from tests.conftest import Invoke
from tests.support import example_jobs as jobs


@pytest.fixture
def client() -> RoeClient:
    return RoeClient(api_key="replayed-key-filtered-from-cassettes")


@pytest.mark.vcr("client_result_success.yaml")
def test_result(client: RoeClient, invoke: Invoke) -> None:
    result = invoke(client.get_result, jobs.WEB)
    expected = jobs.payload("result_web_insights_references")
    assert result.model_dump(exclude_none=True) == expected


@pytest.mark.vcr("client_result_unknown.yaml")
def test_unknown_job(client: RoeClient, invoke: Invoke) -> None:
    with pytest.raises(NotFoundError, match="Not found") as caught:
        invoke(client.get_result, jobs.UNKNOWN)
    assert caught.value.agent_job_id == jobs.UNKNOWN


@pytest.mark.vcr("client_result_running.yaml")
def test_running_job(client: RoeClient, invoke: Invoke) -> None:
    with pytest.raises(JobNotFinishedError, match="STARTED") as caught:
        invoke(client.get_result, jobs.RUNNING)
    assert caught.value.status is AgentJobStatusCode.STARTED


@pytest.mark.vcr("client_result_failed.yaml")
def test_failed_job(client: RoeClient, invoke: Invoke) -> None:
    with pytest.raises(JobFailedError) as caught:
        invoke(client.get_result, jobs.FAILED)
    assert caught.value.error_message == "Failed to load URL"
    assert isinstance(caught.value.__cause__, ServerError)


@pytest.mark.vcr("client_status.yaml")
def test_status(client: RoeClient, invoke: Invoke) -> None:
    assert invoke(client.get_status, jobs.WEB).status is AgentJobStatusCode.SUCCESS
    failed = invoke(client.get_status, jobs.FAILED)
    assert (failed.status, failed.error_message) == (
        AgentJobStatusCode.FAILURE,
        "Failed to load URL",
    )


@pytest.mark.vcr("client_results_batch.yaml")
def test_results_batch(client: RoeClient, invoke: Invoke) -> None:
    ids = [jobs.WEB, jobs.CACHED, jobs.FAILED, jobs.UNKNOWN, jobs.RUNNING]
    outcomes = invoke(client.get_results, ids)
    assert list(outcomes) == ids
    items = [outcomes[i] for i in ids]
    assert all(isinstance(item, AgentJobResultItem) for item in items)
    assert [getattr(item, "status", "?") for item in items] == [3, 6, 4, None, 1]
    cached = outcomes[jobs.CACHED]
    assert isinstance(cached, AgentJobResultItem)
    assert cached.corrected_outputs is not None
    assert "serial number mismatch" in cached.corrected_outputs[0].value


@pytest.mark.vcr("client_statuses_batch.yaml")
def test_statuses_batch(client: RoeClient, invoke: Invoke) -> None:
    ids = [jobs.WEB, jobs.CACHED, jobs.FAILED, jobs.UNKNOWN, jobs.RUNNING]
    outcomes = invoke(client.get_statuses, ids)
    assert isinstance(outcomes[jobs.UNKNOWN], NotFoundError)
    failed = outcomes[jobs.FAILED]
    assert not isinstance(failed, NotFoundError)
    assert failed.error_message == "Failed to load URL"
    assert [getattr(outcomes[i], "status", None) for i in ids] == [3, 6, 4, None, 1]
