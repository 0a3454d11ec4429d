"""Cancelling and deleting job data against recorded sessions (built from the spec's shapes; see
tests/cassettes/README.md), sync and async from one test body."""

from __future__ import annotations

import pytest

from langchain_roe import AgentJobStatusCode, BadRequestError, RoeClient
from tests.conftest import Invoke
from tests.support import example_jobs as jobs
from tests.support.cassettes import RUN_EXAMPLE_TEXT
from tests.support.fake_api import RUN_AGENT_ID


@pytest.fixture
def client() -> RoeClient:
    return RoeClient(api_key="replayed-key-filtered-from-cassettes", max_retries=0)


def started(client: RoeClient, invoke: Invoke) -> str:
    return str(invoke(client.run_agent, RUN_AGENT_ID, {"text": RUN_EXAMPLE_TEXT}))


@pytest.mark.vcr("client_cancel.yaml")
def test_cancel_a_started_job_twice_then_a_finished_one(client: RoeClient, invoke: Invoke) -> None:
    job = started(client, invoke)
    assert invoke(client.cancel_job, job) is None
    assert invoke(client.cancel_job, job) is None  # a repeat: the same 204
    assert invoke(client.get_status, job).status is AgentJobStatusCode.CANCELLED
    with pytest.raises(BadRequestError) as refused:
        invoke(client.cancel_job, jobs.WEB)  # refused, and its status says it succeeded
    assert refused.value.message == "Only a running job can be cancelled."
    assert refused.value.agent_job_id == jobs.WEB


@pytest.mark.vcr("client_cancel_all.yaml")
def test_cancel_all_counts_the_jobs_it_targeted(client: RoeClient, invoke: Invoke) -> None:
    started(client, invoke)
    assert invoke(client.cancel_agent_jobs, RUN_AGENT_ID) == 1
    assert invoke(client.cancel_agent_jobs, RUN_AGENT_ID) == 0


@pytest.mark.vcr("client_delete_data.yaml")
def test_delete_data_twice_then_of_a_pending_job(client: RoeClient, invoke: Invoke) -> None:
    job = started(client, invoke)
    invoke(client.cancel_job, job)
    first = invoke(client.delete_job_data, job)
    assert first.status == "success"
    assert first.complete
    assert first.blob_sanitized is True
    assert invoke(client.delete_job_data, job).deleted_count == 0
    pending = started(client, invoke)
    with pytest.raises(BadRequestError, match="final state") as refused:
        invoke(client.delete_job_data, pending)
    assert refused.value.agent_job_id == pending
