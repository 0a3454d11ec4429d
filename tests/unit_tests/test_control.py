"""Cancelling jobs and deleting their data: what is sent, what is retried, what each answer means."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from langchain_roe import (
    APIConnectionError,
    BadRequestError,
    InvalidAgentJobIdError,
    InvalidResponseError,
    JobDataDeletion,
    NotFoundError,
    PermissionDeniedError,
    RoeClient,
    ServerError,
)
from tests.conftest import Invoke
from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client

JOB = "4fbc7396-d05e-4bc2-bad7-6e809c1b3d54"
AGENT = "5eb1a2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"
DELETED = {
    "status": "success",
    "deleted_count": 2,
    "failed_count": 0,
    "artifacts_deleted_count": 3,
    "artifacts_failed_count": 0,
    "blob_sanitized": True,
    "errors": None,
}
SENT_THEN_DROPPED = httpx.ReadError("the connection dropped after the request was sent")
NEVER_SENT = httpx.ConnectError("connection refused")


def paths(script: Script) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in script.requests]


# Cancelling one job -----------------------------------------------------------------------------


def test_a_cancel_is_one_post_to_the_jobs_canonical_path(invoke: Invoke) -> None:
    script = Script([httpx.Response(204)])
    client = mock_client(script, organization_id="11111111-2222-4333-8444-555555555555")
    assert invoke(client.cancel_job, JOB.upper()) is None
    assert paths(script) == [f"POST /v1/agents/jobs/{JOB}/cancel/"]
    assert (
        script.requests[0].url.params["organization_id"] == "11111111-2222-4333-8444-555555555555"
    )
    assert script.requests[0].content == b""


@pytest.mark.parametrize("failure", [lambda _: json_response(503, {}), SENT_THEN_DROPPED])
def test_a_cancel_is_retried_as_a_read(invoke: Invoke, failure: Any) -> None:
    """Idempotent in effect: a repeat after a lost answer leaves the job as cancelled as once."""
    script = Script([failure, httpx.Response(204)])
    assert invoke(mock_client(script).cancel_job, JOB) is None
    assert paths(script) == [f"POST /v1/agents/jobs/{JOB}/cancel/"] * 2


def test_a_bad_id_is_refused_before_any_request(invoke: Invoke) -> None:
    script = Script([httpx.Response(204)])
    client = mock_client(script)
    with pytest.raises(InvalidAgentJobIdError):
        invoke(client.cancel_job, "not-a-job")
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        invoke(client.cancel_agent_jobs, "../agents")
    with pytest.raises(InvalidAgentJobIdError):
        invoke(client.delete_job_data, "")
    assert script.requests == []


@pytest.mark.parametrize(("status", "error"), [(404, NotFoundError), (403, PermissionDeniedError)])
def test_an_unknown_or_forbidden_job_is_raised_with_its_id_and_message(
    invoke: Invoke, status: int, error: type[Exception]
) -> None:
    script = Script([json_response(status, {"detail": "No AgentJob matches the given query."})])
    with pytest.raises(error) as raised:
        invoke(mock_client(script).cancel_job, JOB)
    assert raised.value.agent_job_id == JOB  # type: ignore[attr-defined]
    assert raised.value.message == "No AgentJob matches the given query."  # type: ignore[attr-defined]
    assert paths(script) == [f"POST /v1/agents/jobs/{JOB}/cancel/"]  # no status asked, no retry


def test_a_refused_cancel_of_a_job_that_is_cancelled_is_what_was_asked(invoke: Invoke) -> None:
    """What a repeat might hear once a lost first attempt cancelled the job."""
    script = Script(
        [
            json_response(400, {"error": "Job is already cancelled."}),
            json_response(200, {"status": 5, "timestamp": 1.0}),
        ]
    )
    assert invoke(mock_client(script).cancel_job, JOB) is None
    assert paths(script) == [
        f"POST /v1/agents/jobs/{JOB}/cancel/",
        f"GET /v1/agents/jobs/{JOB}/status/",
    ]


@pytest.mark.parametrize(
    "status", [lambda _: json_response(200, {"status": 3}), lambda _: json_response(500, {})]
)
def test_a_refused_cancel_of_a_job_that_ended_otherwise_is_the_servers_refusal(
    invoke: Invoke, status: Any
) -> None:
    """Its status says it ended otherwise (SUCCESS), or cannot be read: the refusal stands."""
    script = Script([json_response(400, {"error": "Only a running job can be cancelled."}), status])
    with pytest.raises(BadRequestError) as raised:
        invoke(mock_client(script, max_retries=0).cancel_job, JOB)
    assert raised.value.message == "Only a running job can be cancelled."
    assert raised.value.agent_job_id == JOB
    assert len(script.requests) == 2


# Cancelling an agent's jobs ---------------------------------------------------------------------


@pytest.mark.parametrize("targeted", [0, 7])
def test_cancel_all_answers_how_many_jobs_it_targeted(invoke: Invoke, targeted: int) -> None:
    body = {"note": "queued", "targeted_count": targeted, "task_id": None if not targeted else "t1"}
    script = Script([json_response(200, body)])
    assert invoke(mock_client(script).cancel_agent_jobs, AGENT.upper()) == targeted
    assert paths(script) == [f"POST /v1/agents/{AGENT}/jobs/cancel-all/"]


def test_cancel_all_is_retried_as_a_read(invoke: Invoke) -> None:
    body = {"note": "queued", "targeted_count": 2, "task_id": "t1"}
    script = Script([SENT_THEN_DROPPED, json_response(502, {}), json_response(200, body)])
    assert invoke(mock_client(script).cancel_agent_jobs, AGENT) == 2
    assert len(script.requests) == 3


def test_a_cancel_all_answer_without_its_count_is_invalid(invoke: Invoke) -> None:
    script = Script([json_response(200, {"note": "queued", "task_id": None})])
    with pytest.raises(InvalidResponseError, match="targeted_count"):
        invoke(mock_client(script, max_retries=0).cancel_agent_jobs, AGENT)


# Deleting a job's data -------------------------------------------------------------------------


def test_delete_data_returns_the_servers_counts(invoke: Invoke) -> None:
    script = Script([json_response(200, DELETED)])
    deletion = invoke(mock_client(script).delete_job_data, JOB)
    assert isinstance(deletion, JobDataDeletion)
    assert (deletion.deleted_count, deletion.artifacts_deleted_count) == (2, 3)
    assert deletion.blob_sanitized is True
    assert deletion.complete
    assert paths(script) == [f"POST /v1/agents/jobs/{JOB}/delete-data/"]


def test_a_partial_deletion_is_returned_and_says_it_is_not_complete(invoke: Invoke) -> None:
    partial = {
        **DELETED,
        "status": "partial_success",
        "failed_count": 1,
        "errors": ["Failed to delete input file resume.pdf"],
    }
    deletion = invoke(mock_client(Script([json_response(200, partial)])).delete_job_data, JOB)
    assert not deletion.complete
    assert deletion.errors == ["Failed to delete input file resume.pdf"]


def test_a_deletion_answer_with_odd_counts_reads_them_as_unknown(invoke: Invoke) -> None:
    odd = {"status": "success", "deleted_count": "two", "blob_sanitized": None}
    deletion = invoke(mock_client(Script([json_response(200, odd)])).delete_job_data, JOB)
    assert deletion.deleted_count is None
    assert deletion.artifacts_deleted_count is None


@pytest.mark.parametrize(
    "failure",
    [SENT_THEN_DROPPED, lambda _: json_response(503, {}), lambda _: json_response(500, {})],
)
def test_a_deletion_that_may_have_acted_is_never_repeated(invoke: Invoke, failure: Any) -> None:
    """A repeat would report zeros for what the first attempt deleted: the failure is raised."""
    script = Script([failure, json_response(200, DELETED)])
    with pytest.raises((APIConnectionError, ServerError)) as raised:
        invoke(mock_client(script).delete_job_data, JOB)
    assert raised.value.agent_job_id == JOB
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        NEVER_SENT,
        lambda _: json_response(429, {}, **{"Retry-After": "0"}),
        lambda _: json_response(408, {}),
    ],
)
def test_a_deletion_the_server_provably_did_not_act_on_is_retried(
    invoke: Invoke, failure: Any
) -> None:
    script = Script([failure, json_response(200, DELETED)])
    assert invoke(mock_client(script).delete_job_data, JOB).complete
    assert len(script.requests) == 2


def test_deleting_an_unfinished_jobs_data_is_the_servers_refusal(invoke: Invoke) -> None:
    body = {"error": "Job must be in a final state to delete its data."}
    script = Script([json_response(400, body)])
    with pytest.raises(BadRequestError) as raised:
        invoke(mock_client(script).delete_job_data, JOB)
    assert raised.value.message == body["error"]
    assert raised.value.agent_job_id == JOB
    assert len(script.requests) == 1


# Against the loopback server: a job's state, and answers lost after the server acted ----------


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_on_the_loopback_server_a_running_job_becomes_cancelled(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        client = RoeClient(api_key="loopback-key", base_url=server.base_url)
        running = server.runs._start({"url": "https://x", "question": "q"})
        invoke(client.cancel_job, running)
        invoke(client.cancel_job, running)  # a repeat changes nothing
        assert invoke(client.get_status, running).status.name == "CANCELLED"
        assert invoke(client.cancel_agent_jobs, AGENT_ID) == 0  # nothing left running
        others = [server.runs._start({"url": "https://x", "question": "q"}) for _ in range(3)]
        assert invoke(client.cancel_agent_jobs, AGENT_ID) == 3
        assert {server.runs.peek(i) for i in others} == {5}
        first, again = (
            invoke(client.delete_job_data, running),
            invoke(client.delete_job_data, running),
        )
        assert (first.deleted_count, again.deleted_count) == (1, 0)
        assert server.runs.cancels == [running, running]
        assert server.runs.cancel_alls == [AGENT_ID, AGENT_ID]
        assert server.runs.deletions == [running]


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_answers_lost_after_the_server_acted(invoke: Invoke) -> None:
    """Every answer is lost once the server has acted: a cancel is repeated (and lands on a
    cancelled job), a deletion is not (the server deleted once, the caller hears the failure)."""
    config = ServerConfig(drops=1.0, faults_after_acting=1.0)
    with LoopbackServer(config) as server:
        client = RoeClient(api_key="loopback-key", base_url=server.base_url, max_retries=2)
        job = server.runs._start({"url": "https://x", "question": "q"})
        with pytest.raises(APIConnectionError):
            invoke(client.cancel_job, job)
        assert server.runs.cancels == [job] * 3  # every attempt reached the server
        assert server.runs.peek(job) == 5
        with pytest.raises(APIConnectionError) as raised:
            invoke(client.delete_job_data, job)
        assert raised.value.agent_job_id == job
        assert server.runs.deletions == [job]
        assert server.requests == 4
