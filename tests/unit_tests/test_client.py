"""RoeClient over scripted answers: errors, retries, batches and the 404 explained, sync and async."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from typing import Any

import httpx
import pytest

from langchain_roe import (
    AgentJobStatusCode,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidResponseError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RoeClient,
    RoeError,
    ServerError,
)
from tests.conftest import Invoke
from tests.support.example_jobs import payload
from tests.support.mock_api import Script, json_response, mock_client

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
RESULT = payload("result_docs_example")
KEY = "sk-roe-test-0123456789abcdef"


def status_body(code: int, error_message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": code, "timestamp": 1.0}
    if error_message is not None:
        body["error_message"] = error_message
    return body


@pytest.mark.parametrize(
    ("status_code", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (409, APIStatusError),
        (422, APIStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
)
def test_each_status_becomes_its_error(
    invoke: Invoke, status_code: int, error_class: type[APIStatusError]
) -> None:
    script = Script(
        [json_response(status_code, {"detail": "server says no"}, **{"X-Request-ID": "req-42"})]
    )
    client = mock_client(script, max_retries=0)
    with pytest.raises(error_class) as caught:
        invoke(client.get_status, JOB)
    error = caught.value
    assert type(error) is error_class
    assert (error.status_code, error.message, error.request_id) == (
        status_code,
        "server says no",
        "req-42",
    )
    assert error.agent_job_id == JOB
    assert len(script.requests) == 1


def test_status_404_is_not_found(invoke: Invoke) -> None:
    script = Script([json_response(404, {"detail": "Not found."})])
    with pytest.raises(NotFoundError, match="Not found"):
        invoke(mock_client(script).get_status, JOB)
    assert len(script.requests) == 1


@pytest.mark.parametrize("status_code", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_then_succeed(
    invoke: Invoke, status_code: int, retry_sleeps: list[float]
) -> None:
    script = Script(
        [httpx.Response(status_code), httpx.Response(status_code), json_response(200, RESULT)]
    )
    result = invoke(mock_client(script).get_result, JOB)
    assert result.outputs[0].value == '{"summary": "hello world!"}'
    assert len(script.requests) == 3
    assert len(retry_sleeps) == 2


@pytest.mark.parametrize("status_code", [400, 401, 403, 409, 422])
def test_client_errors_are_not_retried(invoke: Invoke, status_code: int) -> None:
    script = Script([json_response(status_code, {"detail": "no"})])
    with pytest.raises(APIStatusError):
        invoke(mock_client(script, max_retries=5).get_status, JOB)
    assert len(script.requests) == 1


@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (1, 2), (4, 5)])
def test_retries_stop_after_max_retries(invoke: Invoke, max_retries: int, attempts: int) -> None:
    script = Script([json_response(503, {"detail": "busy"})])
    with pytest.raises(ServerError, match="busy"):
        invoke(mock_client(script, max_retries=max_retries).get_status, JOB)
    assert len(script.requests) == attempts


def test_retry_after_seconds_is_honoured(invoke: Invoke, retry_sleeps: list[float]) -> None:
    script = Script(
        [
            json_response(429, {"detail": "Rate limit exceeded"}, **{"Retry-After": "7"}),
            json_response(429, {"detail": "Rate limit exceeded"}, **{"Retry-After": "0.25"}),
            json_response(200, status_body(3)),
        ]
    )
    invoke(mock_client(script).get_status, JOB)
    assert retry_sleeps == [7.0, 0.25]


def test_retry_after_http_date_is_honoured(invoke: Invoke, retry_sleeps: list[float]) -> None:
    in_two_hours = email.utils.formatdate(time.time() + 7200, usegmt=True)
    script = Script(
        [
            json_response(503, {}, **{"Retry-After": in_two_hours}),
            json_response(200, status_body(3)),
        ]
    )
    invoke(mock_client(script).get_status, JOB)
    assert retry_sleeps == [60.0]  # later than MAX_RETRY_AFTER: capped


@pytest.mark.parametrize("absurd", ["nan", "inf", "-inf", "1e300", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_an_absurd_retry_after_is_treated_as_absent(
    invoke: Invoke, retry_sleeps: list[float], absurd: str
) -> None:
    script = Script(
        [
            json_response(429, {"detail": "slow down"}, **{"Retry-After": absurd}),
            json_response(200, status_body(3)),
        ]
    )
    invoke(mock_client(script).get_status, JOB)
    assert len(retry_sleeps) == 1
    assert 0.375 <= retry_sleeps[0] <= 0.5  # the first backoff step, jittered, not the header


def test_backoff_without_retry_after_grows_and_is_capped(
    invoke: Invoke, retry_sleeps: list[float]
) -> None:
    script = Script([httpx.Response(503)])
    with pytest.raises(ServerError):
        invoke(mock_client(script, max_retries=6).get_status, JOB)
    assert len(retry_sleeps) == 6
    bounds = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    for delay, bound in zip(retry_sleeps, bounds, strict=True):
        assert bound * 0.75 <= delay <= bound


def test_dropped_connection_is_retried_then_raised(invoke: Invoke) -> None:
    script = Script([httpx.RemoteProtocolError("peer closed connection")])
    with pytest.raises(APIConnectionError, match="peer closed connection") as caught:
        invoke(mock_client(script, max_retries=2).get_result, JOB)
    assert not isinstance(caught.value, APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert caught.value.agent_job_id == JOB
    assert len(script.requests) == 3


def test_timeout_is_retried_then_raised(invoke: Invoke) -> None:
    script = Script([httpx.ReadTimeout("timed out")])
    with pytest.raises(APITimeoutError, match=r"within the 2\.5s timeout"):
        invoke(mock_client(script, max_retries=1, timeout=2.5).get_status, JOB)
    assert len(script.requests) == 2


def test_timeout_reaches_the_request(invoke: Invoke) -> None:
    script = Script([json_response(200, status_body(3))])
    invoke(mock_client(script, timeout=4.5).get_status, JOB)
    assert script.requests[0].extensions["timeout"] == {
        "connect": 4.5,
        "read": 4.5,
        "write": 4.5,
        "pool": 4.5,
    }


def test_a_connection_failure_then_success(invoke: Invoke) -> None:
    script = Script([httpx.ConnectError("refused"), json_response(200, status_body(6))])
    status = invoke(mock_client(script).get_status, JOB)
    assert status.status is AgentJobStatusCode.CACHED


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b'{"status": "three"}', b"[1, 2]", b'{"timestamp": 1.0}', b'{"stat'],
)
def test_a_bad_success_body_is_an_invalid_response(invoke: Invoke, body: bytes) -> None:
    script = Script([httpx.Response(200, content=body)])
    with pytest.raises(InvalidResponseError) as caught:
        invoke(mock_client(script, max_retries=1).get_status, JOB)
    assert caught.value.status_code == 200
    assert caught.value.__cause__ is not None
    assert len(script.requests) == 2  # a garbled body is retried once, as a dropped one would be


def test_a_bad_body_then_a_good_one(invoke: Invoke) -> None:
    script = Script([httpx.Response(200, content=b'{"outp'), json_response(200, RESULT)])
    assert invoke(mock_client(script).get_result, JOB).input_tokens == 100


@pytest.mark.parametrize(
    ("status_body_or_code", "expected", "text"),
    [
        (404, NotFoundError, "Not found"),
        (status_body(0), JobNotFinishedError, "PENDING"),
        (status_body(1), JobNotFinishedError, "STARTED"),
        (status_body(2, "retrying"), JobNotFinishedError, "RETRY"),
        (status_body(4, "Failed to load URL"), JobFailedError, "FAILURE: Failed to load URL"),
        (status_body(5), JobFailedError, "CANCELLED"),
        (status_body(3), NotFoundError, "Not found"),  # finished, yet no result: the 404 stands
        (503, NotFoundError, "Not found"),  # the status could not be read: the 404 stands
    ],
)
def test_result_404_is_explained_by_the_status(
    invoke: Invoke, status_body_or_code: Any, expected: type[RoeError], text: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/result/"):
            return json_response(404, {"detail": "Not found."}, **{"X-Request-ID": "r-1"})
        if isinstance(status_body_or_code, int):
            return json_response(status_body_or_code, {"detail": "Not found."})
        return json_response(200, status_body_or_code)

    script = Script([answer])
    with pytest.raises(expected, match=text) as caught:
        invoke(mock_client(script, max_retries=0).get_result, JOB)
    error = caught.value
    assert error.agent_job_id == JOB
    assert error.status_code == 404
    assert error.request_id == "r-1"
    if isinstance(error, JobFailedError):
        assert error.error_message == status_body_or_code.get("error_message")
        assert isinstance(error.__cause__, NotFoundError)
    paths = [r.url.path for r in script.requests]
    assert paths == [f"/v1/agents/jobs/{JOB}/result/", f"/v1/agents/jobs/{JOB}/status/"]


def test_result_500_of_a_failed_job_is_explained(invoke: Invoke) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/result/"):
            return httpx.Response(500)
        return json_response(200, status_body(4, "boom"))

    script = Script([answer])
    with pytest.raises(JobFailedError, match="boom") as caught:
        invoke(mock_client(script, max_retries=1).get_result, JOB)
    assert caught.value.status is AgentJobStatusCode.FAILURE
    assert isinstance(caught.value.__cause__, ServerError)
    assert [r.url.path.split("/")[-2] for r in script.requests] == ["result", "result", "status"]


def test_other_result_errors_ask_no_status(invoke: Invoke) -> None:
    script = Script([json_response(403, payload("error_403_permission_detail"))])
    with pytest.raises(PermissionDeniedError, match="do not have permission"):
        invoke(mock_client(script).get_result, JOB)
    assert len(script.requests) == 1


@pytest.mark.parametrize("bad", ["", "nope", "0b7e3f52-9c1a-4d8e-b6f3", "../../admin", None, 42])
def test_an_invalid_id_is_refused_before_any_request(invoke: Invoke, bad: Any) -> None:
    script = Script([json_response(200, RESULT)])
    client = mock_client(script)
    with pytest.raises(ValueError, match="agent_job_id must be a UUID") as caught:
        invoke(client.get_result, bad)
    assert repr(bad) in str(caught.value)
    with pytest.raises(ValueError, match="must be a UUID"):
        invoke(client.get_results, [JOB, bad])
    assert script.requests == []


def test_ids_are_canonical_in_the_path(invoke: Invoke) -> None:
    script = Script([json_response(200, RESULT)])
    invoke(mock_client(script).get_result, "  {" + JOB.upper() + "}  ")
    assert script.requests[0].url.raw_path.decode() == f"/v1/agents/jobs/{JOB}/result/"


def test_headers_and_organization(invoke: Invoke) -> None:
    org = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    script = Script([json_response(200, RESULT)])
    invoke(mock_client(script, api_key="Bearer " + KEY, organization_id=org).get_result, JOB)
    request = script.requests[0]
    assert request.headers["Authorization"] == "Bearer " + KEY
    assert request.headers["User-Agent"].startswith("langchain-roe/")
    assert dict(request.url.params) == {"organization_id": org}


def test_no_organization_parameter_unless_set(invoke: Invoke) -> None:
    script = Script([json_response(200, RESULT)])
    invoke(mock_client(script).get_result, JOB)
    assert "organization_id" not in script.requests[0].url.params


def test_a_missing_key_fails_at_the_first_call_without_a_request(invoke: Invoke) -> None:
    script = Script([json_response(200, RESULT)])
    client = mock_client(script, api_key=None)
    with pytest.raises(ConfigurationError, match=r"api_key=.*ROE_API_KEY"):
        invoke(client.get_result, JOB)
    assert script.requests == []


def _ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


def _echo_results(request: httpx.Request) -> httpx.Response:
    ids = json.loads(request.content)["job_ids"]
    items = [
        {"id": i, "status": 3, "result": [], "agent_id": None, "agent_version_id": None}
        for i in reversed(ids)  # order is not guaranteed: answer in reverse
    ]
    return json_response(200, items)


def test_batches_are_chunked_by_1000_and_matched_by_id(invoke: Invoke) -> None:
    ids = _ids(2500)
    script = Script([_echo_results])
    outcomes = invoke(mock_client(script).get_results, [*ids, ids[0].upper()])
    assert [len(json.loads(r.content)["job_ids"]) for r in script.requests] == [1000, 1000, 500]
    assert list(outcomes) == ids
    assert all(outcomes[i].id == i for i in ids)


def test_an_id_missing_from_the_batch_answer_is_not_found(invoke: Invoke) -> None:
    ids = _ids(3)

    def answer(request: httpx.Request) -> httpx.Response:
        return json_response(200, [{"id": ids[0], "status": 1}, {"id": ids[2], "status": 3}])

    outcomes = invoke(mock_client(Script([answer])).get_statuses, ids)
    assert outcomes[ids[0]].status is AgentJobStatusCode.STARTED
    assert isinstance(outcomes[ids[1]], NotFoundError)
    assert outcomes[ids[1]].agent_job_id == ids[1]
    assert outcomes[ids[2]].status is AgentJobStatusCode.SUCCESS


def test_the_older_paginated_answer_is_accepted_and_followed(invoke: Invoke) -> None:
    ids = _ids(3)
    pages = {
        "1": {
            "count": 3,
            "next": "https://api.roe-ai.com/v1/agents/jobs/results/?page=2",
            "previous": None,
            "results": [{"id": ids[1], "status": 3, "result": []}],
        },
        "2": {
            "count": 3,
            "next": None,
            "previous": "x",
            "results": [{"id": ids[0], "status": 6, "result": []}, {"id": ids[2], "status": 4}],
        },
    }

    def answer(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"job_ids": ids}
        return json_response(200, pages[request.url.params.get("page", "1")])

    script = Script([answer])
    outcomes = invoke(mock_client(script).get_results, ids)
    assert [outcomes[i].status for i in ids] == [6, 3, 4]
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    "link",
    ["https://api.roe-ai.com/next\n", "https://api.roe-ai.com/n\text", "https://api.roe-ai.com/é"],
)
def test_a_next_page_link_that_is_no_url_is_a_typed_error(invoke: Invoke, link: str) -> None:
    script = Script([json_response(200, {"next": link, "results": []})])
    with pytest.raises(InvalidResponseError, match="not a usable URL"):
        invoke(mock_client(script).get_results, _ids(1))
    assert len(script.requests) == 1


def test_a_next_page_on_another_host_is_refused(invoke: Invoke) -> None:
    page = {"next": "https://elsewhere.example/steal?page=2", "results": []}
    script = Script([json_response(200, page)])
    with pytest.raises(InvalidResponseError, match="another host"):
        invoke(mock_client(script).get_results, _ids(1))
    assert len(script.requests) == 1


def test_batch_errors_carry_no_job_id(invoke: Invoke) -> None:
    script = Script([json_response(400, payload("error_400_field_map"))])
    with pytest.raises(APIStatusError, match="Invalid JSON string") as caught:
        invoke(mock_client(script).get_results, _ids(2))
    assert caught.value.agent_job_id is None


def test_retries_are_logged_without_the_key(
    invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script([json_response(429, {}, **{"Retry-After": "1"}), json_response(200, RESULT)])
    with caplog.at_level(logging.DEBUG, logger="langchain_roe"):
        invoke(mock_client(script, api_key=KEY).get_result, JOB)
    lines = [r.getMessage() for r in caplog.records if r.name == "langchain_roe"]
    assert any("RateLimitError 429" in line and "as Retry-After asked" in line for line in lines)
    assert KEY not in caplog.text


def test_an_owned_async_pool_is_renewed_for_a_new_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = httpx.MockTransport(lambda request: json_response(200, status_body(3)))
    opened: list[httpx.AsyncClient] = []
    real_async_client = httpx.AsyncClient

    def open_pool() -> httpx.AsyncClient:
        opened.append(real_async_client(transport=transport))
        return opened[-1]

    monkeypatch.setattr("langchain_roe._core._client.httpx.AsyncClient", open_pool)
    client = RoeClient(api_key=KEY)
    for _ in range(2):
        assert asyncio.run(client.aget_status(JOB)).status is AgentJobStatusCode.SUCCESS
    assert len(opened) == 2


def test_a_page_that_links_back_is_refused(invoke: Invoke) -> None:
    looping = {"next": "https://api.roe-ai.com/v1/agents/jobs/results/?page=2", "results": []}
    script = Script([json_response(200, looping)])
    with pytest.raises(InvalidResponseError, match="already read"):
        invoke(mock_client(script).get_results, _ids(1))
    assert len(script.requests) == 2


@pytest.fixture
def opened_pools(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Client | httpx.AsyncClient]:
    """Pools the client opens itself answer through a mock, and are kept here."""
    transport = httpx.MockTransport(lambda request: json_response(200, status_body(3)))
    opened: list[httpx.Client | httpx.AsyncClient] = []
    real_sync, real_async = httpx.Client, httpx.AsyncClient

    def open_sync() -> httpx.Client:
        opened.append(real_sync(transport=transport))
        return opened[-1]  # type: ignore[return-value]

    def open_async() -> httpx.AsyncClient:
        opened.append(real_async(transport=transport))
        return opened[-1]  # type: ignore[return-value]

    monkeypatch.setattr("langchain_roe._core._client.httpx.Client", open_sync)
    monkeypatch.setattr("langchain_roe._core._client.httpx.AsyncClient", open_async)
    return opened


def test_close_closes_the_pool_the_client_opened(
    opened_pools: list[httpx.Client | httpx.AsyncClient],
) -> None:
    with RoeClient(api_key=KEY) as client:
        client.get_status(JOB)
    assert [pool.is_closed for pool in opened_pools] == [True]


async def test_aclose_closes_both_pools_the_client_opened(
    opened_pools: list[httpx.Client | httpx.AsyncClient],
) -> None:
    async with RoeClient(api_key=KEY) as client:
        await client.aget_status(JOB)
        client.get_status(JOB)
    assert [pool.is_closed for pool in opened_pools] == [True, True]


def test_pools_you_hand_in_stay_open() -> None:
    transport = httpx.MockTransport(lambda request: json_response(200, status_body(3)))
    yours, yours_async = httpx.Client(transport=transport), httpx.AsyncClient(transport=transport)

    async def use() -> None:
        async with RoeClient(api_key=KEY, http_client=yours, async_http_client=yours_async) as c:
            await c.aget_status(JOB)
            c.get_status(JOB)

    asyncio.run(use())
    assert not yours.is_closed
    assert not yours_async.is_closed
    yours.close()
