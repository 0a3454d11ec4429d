"""Agents and runs on the client: what is sent, what is retried, and what is never repeated."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_roe import (
    APIConnectionError,
    BadRequestError,
    InvalidResponseError,
    PermissionDeniedError,
    RoeClient,
    RunOutcomeUnknownError,
)
from tests.conftest import Invoke
from tests.support.agents import AGENT_ID, VERSION
from tests.support.mock_api import Script, json_response, mock_client

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
TEXT = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}


def job_ids(count: int, start: int = 0) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(start, start + count)]


def test_a_text_run_is_json_with_a_key_and_metadata(invoke: Invoke) -> None:
    script = Script([json_response(200, JOB)])
    client = mock_client(script)
    assert invoke(client.run_agent, AGENT_ID, TEXT, metadata={"batch": "7"}) == JOB
    (request,) = script.requests
    assert request.url.path == f"/v1/agents/run/{AGENT_ID}/async/"
    assert json.loads(request.content) == {**TEXT, "metadata": {"batch": "7"}}
    assert request.headers["Idempotency-Key"]
    assert "X-Skip-Cache" not in request.headers


def test_a_string_naming_a_local_file_is_sent_as_text_never_uploaded(
    invoke: Invoke, tmp_path: Path
) -> None:
    secret = tmp_path / "passwords.txt"
    secret.write_text("do not upload")
    script = Script([json_response(200, JOB)])
    invoke(mock_client(script).run_agent, AGENT_ID, {"url": str(secret), "question": "q"})
    body = script.requests[0].content
    assert b"do not upload" not in body
    assert json.loads(body)["url"] == str(secret)


def test_explicit_files_are_uploaded_as_parts(invoke: Invoke, tmp_path: Path) -> None:
    pdf = tmp_path / "resume.pdf"
    pdf.write_bytes(b"%PDF-1.7 resume")
    script = Script([json_response(200, JOB)])
    inputs = {"document": pdf, "photo": b"\x89PNG", "question": "q"}
    invoke(mock_client(script).run_agent, AGENT_ID, inputs, metadata={"a": 1})
    request = script.requests[0]
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="document"; filename="resume.pdf"' in body
    assert b"application/pdf" in body
    assert b"%PDF-1.7 resume" in body
    assert b'name="photo"; filename="photo"' in body
    assert b'name="metadata"' in body
    assert b'{"a": 1}' in body


def test_a_missing_file_or_an_odd_value_fails_before_any_request(
    invoke: Invoke, tmp_path: Path
) -> None:
    script = Script([json_response(200, JOB)])
    client = mock_client(script)
    with pytest.raises(ValueError, match="cannot read"):
        invoke(client.run_agent, AGENT_ID, {"document": tmp_path / "missing.pdf"})
    with pytest.raises(ValueError, match="must be text"):
        invoke(client.run_agent, AGENT_ID, {"pages": 12})
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        invoke(client.run_agent, "my-agent", TEXT)
    with pytest.raises(ValueError, match="non-empty mapping"):
        invoke(client.run_agent, AGENT_ID, {})
    assert script.requests == []


@pytest.mark.parametrize(
    "failure",
    [
        lambda: json_response(503, {"detail": "busy"}),
        lambda: httpx.ReadError("dropped"),
        lambda: httpx.ReadTimeout("slow"),
    ],
)
def test_a_single_run_is_retried_under_the_same_key(invoke: Invoke, failure: Any) -> None:
    script = Script([failure(), json_response(200, JOB)])
    assert invoke(mock_client(script).run_agent, AGENT_ID, TEXT, skip_cache=True) == JOB
    keys = {r.headers["Idempotency-Key"] for r in script.requests}
    assert len(script.requests) == 2
    assert len(keys) == 1  # the server can tell the retry from a new run
    assert all(r.headers["X-Skip-Cache"] == "true" for r in script.requests)


def test_a_given_key_is_sent_and_each_call_otherwise_gets_its_own(invoke: Invoke) -> None:
    script = Script([json_response(200, JOB)])
    client = mock_client(script)
    invoke(client.run_agent, AGENT_ID, TEXT, idempotency_key="order-42")
    invoke(client.run_agent, AGENT_ID, TEXT)
    invoke(client.run_agent, AGENT_ID, TEXT)
    keys = [r.headers["Idempotency-Key"] for r in script.requests]
    assert keys[0] == "order-42"
    assert len(set(keys)) == 3


@pytest.mark.parametrize(
    ("status", "error"), [(400, BadRequestError), (403, PermissionDeniedError)]
)
def test_a_refused_run_is_not_retried(invoke: Invoke, status: int, error: type[Exception]) -> None:
    body = (
        ["Missing input key document"]
        if status == 400
        else {"detail": "Insufficient credits to start a new job"}
    )
    script = Script([json_response(status, body)])
    with pytest.raises(error, match=r"Missing input key document|Insufficient credits"):
        invoke(mock_client(script).run_agent, AGENT_ID, TEXT)
    assert len(script.requests) == 1


def test_many_inputs_go_in_chunks_of_1000_and_ids_keep_input_order(invoke: Invoke) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["inputs"]
        first = int(inputs[0]["question"])
        return json_response(200, job_ids(len(inputs), first))

    script = Script([answer])
    inputs = [{"url": "https://x", "question": str(n)} for n in range(1001)]
    ids = invoke(mock_client(script).run_agent_many, AGENT_ID, inputs, skip_cache=True)
    assert ids == job_ids(1001)
    assert [len(json.loads(r.content)["inputs"]) for r in script.requests] == [1000, 1]
    keys = [r.headers["Idempotency-Key"] for r in script.requests]  # issue 21: every run request
    assert len(set(keys)) == 2


@pytest.mark.parametrize(
    "failure",
    [
        lambda: json_response(503, {"detail": "busy"}),
        lambda: httpx.ReadError("dropped after sending"),
        lambda: httpx.ReadTimeout("no answer"),
        lambda: httpx.Response(200, content=b'["not a job id"]'),
    ],
)
def test_a_many_run_that_may_have_acted_is_never_repeated(invoke: Invoke, failure: Any) -> None:
    script = Script([json_response(200, job_ids(1000)), failure(), json_response(200, job_ids(1))])
    inputs = [dict(TEXT) for _ in range(1001)]
    with pytest.raises(RunOutcomeUnknownError) as caught:
        invoke(mock_client(script).run_agent_many, AGENT_ID, inputs)
    assert len(script.requests) == 2  # the second chunk was not sent again
    error = caught.value
    assert error.input_indexes == range(1000, 1001)
    assert error.created_job_ids == dict(enumerate(job_ids(1000)))
    assert "inputs 1000 to 1000" in error.message


@pytest.mark.parametrize(
    "failure",
    [
        lambda: httpx.ConnectError("refused"),
        lambda: json_response(429, {"detail": "slow down"}, **{"Retry-After": "1"}),
        lambda: json_response(408, {"detail": "timeout"}),
    ],
)
def test_a_many_run_the_server_provably_did_not_act_on_is_retried(
    invoke: Invoke, failure: Any
) -> None:
    script = Script([failure(), json_response(200, job_ids(2))])
    ids = invoke(mock_client(script).run_agent_many, AGENT_ID, [TEXT, TEXT])
    assert ids == job_ids(2)
    assert len(script.requests) == 2


def test_many_inputs_must_all_be_text_before_anything_is_sent(invoke: Invoke) -> None:
    script = Script([json_response(200, job_ids(2))])
    with pytest.raises(ValueError, match=r"inputs\[1\] holds a file"):
        invoke(mock_client(script).run_agent_many, AGENT_ID, [TEXT, {"document": b"%PDF"}])
    with pytest.raises(ValueError, match="non-empty sequence"):
        invoke(mock_client(script).run_agent_many, AGENT_ID, [])
    assert script.requests == []


def test_an_agent_version_and_its_input_definitions(invoke: Invoke) -> None:
    script = Script([json_response(200, VERSION)])
    version = invoke(mock_client(script).get_agent_version, AGENT_ID)
    assert [d.key for d in version.input_definitions] == ["url", "question"]
    assert version.input_definitions[0].example == "https://www.roe-ai.com"
    assert script.requests[0].url.path == f"/v1/agents/{AGENT_ID}/versions/current/"
    without = {k: v for k, v in VERSION.items() if k != "input_definitions"}
    with pytest.raises(InvalidResponseError, match="input_definitions"):
        invoke(
            mock_client(Script([json_response(200, without)]), max_retries=0).get_agent_version,
            AGENT_ID,
        )


def agents_page(names: list[str], next_url: str | None, count: int = 3) -> httpx.Response:
    agents = [
        {"id": f"00000000-0000-4000-8000-{n:012d}", "name": name} for n, name in enumerate(names)
    ]
    return json_response(
        200, {"count": count, "next": next_url, "previous": None, "results": agents}
    )


def collect_agents(client: RoeClient, mode: str) -> list[str]:
    if mode == "sync":
        return [a.name or "" for a in client.list_agents(page_size=2)]

    async def gather() -> list[str]:
        return [a.name or "" async for a in client.alist_agents(page_size=2)]

    return asyncio.run(gather())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_agents_are_listed_across_pages(mode: str) -> None:
    page_2 = "https://api.roe-ai.com/v1/agents/?page=2&page_size=2"
    script = Script([agents_page(["a", "b"], page_2), agents_page(["c"], None)])
    assert collect_agents(mock_client(script), mode) == ["a", "b", "c"]
    assert script.requests[0].url.params["page_size"] == "2"
    assert str(script.requests[1].url) == page_2


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("pages", "problem"),
    [
        (lambda: [agents_page(["a"], "https://evil.example/v1/agents/?page=2")], "another host"),
        (
            lambda: [agents_page(["a"], "https://api.roe-ai.com/v1/agents/?page=1")] * 2,
            "already read",
        ),
        (lambda: [agents_page([], "https://api.roe-ai.com/v1/agents/?page=2")], "empty page"),
        (
            lambda: [agents_page(["a", "b"], "https://api.roe-ai.com/v1/agents/?page=2", count=1)],
            "count",
        ),
    ],
)
def test_a_listing_that_cannot_be_legitimate_stops(mode: str, pages: Any, problem: str) -> None:
    script = Script(pages())
    with pytest.raises(InvalidResponseError, match=problem):
        collect_agents(mock_client(script), mode)
    assert len(script.requests) <= 2


def test_a_connection_never_made_is_marked_unsent(invoke: Invoke) -> None:
    script = Script([httpx.ConnectError("refused")])
    with pytest.raises(APIConnectionError) as caught:
        invoke(mock_client(script, max_retries=0).get_status, JOB)
    assert caught.value.request_sent is False
