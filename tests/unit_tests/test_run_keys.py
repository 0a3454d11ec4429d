"""Never a lost job id (issue 21): 409 retried under its key, and every error after a chunk carries
the jobs it created, whatever its class."""

from __future__ import annotations

import json

import httpx
import pytest

from langchain_roe import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    RateLimitError,
    RoeClient,
    RoeError,
    RunOutcomeUnknownError,
    ServerError,
)
from langchain_roe._core._exceptions import APIConnectionError
from langchain_roe._core._http import Retry
from langchain_roe._core._retry import is_retryable
from tests.conftest import Invoke
from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
TEXT = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}
CONFLICT = {"detail": "A request with this Idempotency-Key is still being processed."}


def job_ids(count: int, start: int = 0) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(start, start + count)]


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_a_409_still_being_processed_is_retried_under_the_same_key(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig(idempotency_conflicts=2)) as server:
        client = RoeClient(api_key="loopback-key", base_url=server.base_url)
        agent_job_id = invoke(client.run_agent, AGENT_ID, TEXT)
        posts = [r for r in server.received if "/run/" in r.path]
    assert agent_job_id in server.runs.jobs
    assert server.runs.created == 1
    assert len(posts) == 3
    assert len({r.headers["idempotency-key"] for r in posts}) == 1


def test_a_409_waits_as_retry_after_asks(invoke: Invoke, retry_sleeps: list[float]) -> None:
    script = Script([json_response(409, CONFLICT, **{"Retry-After": "3"}), json_response(200, JOB)])
    assert invoke(mock_client(script).run_agent, AGENT_ID, TEXT) == JOB
    assert retry_sleeps == [3.0]
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(keys) == 1


def test_a_409_past_the_retries_is_raised_after_max_retries(invoke: Invoke) -> None:
    script = Script([json_response(409, CONFLICT)])
    with pytest.raises(APIStatusError) as caught:
        invoke(mock_client(script, max_retries=2).run_agent, AGENT_ID, TEXT)
    assert caught.value.status_code == 409
    assert len(script.requests) == 3


def test_only_a_keyed_run_retries_a_409() -> None:
    conflict = APIStatusError("still being processed", status_code=409)
    assert is_retryable(conflict, Retry.KEYED)
    assert not is_retryable(conflict, Retry.READ)
    assert not is_retryable(conflict, Retry.UNSENT)


def test_every_many_inputs_request_carries_a_key_of_its_own(invoke: Invoke) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return json_response(200, job_ids(len(json.loads(request.content)["inputs"])))

    script = Script([answer])
    invoke(mock_client(script).run_agent_many, AGENT_ID, [TEXT] * 1001)
    keys = [r.headers["Idempotency-Key"] for r in script.requests]
    assert len(keys) == 2
    assert keys[0].endswith("-0-999")
    assert keys[1].endswith("-1000-1000")


def _later_chunk_fails(answer: httpx.Response | Exception) -> Script:
    """Chunk 1 (1000 inputs) starts its jobs; every later request gets `answer`."""
    return Script([json_response(200, job_ids(1000)), answer])


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((403, {"detail": "Insufficient credits to start a new job"}), PermissionDeniedError),
        ((401, {"detail": "Invalid API key"}), AuthenticationError),
        ((400, ["Missing input key url"]), BadRequestError),
        ((429, {"detail": "Rate limit exceeded"}), RunOutcomeUnknownError),
        ((503, {"detail": "unavailable"}), RunOutcomeUnknownError),
        (None, RunOutcomeUnknownError),
    ],
    ids=["403", "401", "400", "429 past retries", "503", "never connected"],
)
def test_any_error_on_a_later_chunk_carries_the_jobs_already_created(
    invoke: Invoke, answer: tuple[int, object] | None, error: type[RoeError]
) -> None:
    failing = httpx.ConnectError("refused") if answer is None else json_response(*answer)
    script = _later_chunk_fails(failing)
    with pytest.raises(RoeError) as caught:
        invoke(mock_client(script, max_retries=2).run_agent_many, AGENT_ID, [TEXT] * 2500)
    assert isinstance(caught.value, error)
    assert caught.value.created_job_ids == dict(enumerate(job_ids(1000)))
    assert "1000 job(s)" in str(caught.value) or isinstance(caught.value, RunOutcomeUnknownError)
    chunks = [r.headers["Idempotency-Key"].split("-")[-2] for r in script.requests]
    assert chunks.count("0") == 1  # chunk 1 went once
    assert "2000" not in chunks  # and chunk 3 never went


def test_rate_limit_retries_that_run_out_on_a_later_chunk_keep_chunk_one(
    invoke: Invoke, retry_sleeps: list[float]
) -> None:
    limited = json_response(429, {"detail": "Rate limit exceeded"}, **{"Retry-After": "1"})
    script = _later_chunk_fails(limited)
    with pytest.raises(RoeError) as caught:
        invoke(mock_client(script, max_retries=3).run_agent_many, AGENT_ID, [TEXT] * 1500)
    assert caught.value.created_job_ids == dict(enumerate(job_ids(1000)))
    assert len(script.requests) == 1 + 4  # chunk 2: the first attempt and three retries
    assert retry_sleeps == [1.0, 1.0, 1.0]


def test_an_error_before_any_job_carries_no_ids(invoke: Invoke) -> None:
    script = Script([json_response(403, {"detail": "Insufficient credits"})])
    with pytest.raises(PermissionDeniedError) as caught:
        invoke(mock_client(script).run_agent_many, AGENT_ID, [TEXT] * 3)
    assert caught.value.created_job_ids == {}
    assert "created_job_ids" not in str(caught.value)


def test_created_job_ids_survive_pickling() -> None:
    import pickle

    error = RateLimitError("limited", status_code=429)
    error.created_job_ids = {0: JOB}
    assert pickle.loads(pickle.dumps(error)).created_job_ids == {0: JOB}
    assert APIConnectionError("x").created_job_ids == {}
    assert ServerError("x").created_job_ids == {}
