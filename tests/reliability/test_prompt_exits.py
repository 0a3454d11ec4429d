"""Leaving a load early (break, close, an error, Ctrl-C) comes back at once, and leaves no thread.

These run on the real clock: what they check is that real sleeps (status polls, retry waits) and
units still in flight do not hold the caller. Bounds are generous and only catch a hang.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import AsyncGenerator, Generator, Iterator
from typing import Any, cast

import httpx
import pytest
from langchain_core.documents import Document

from langchain_roe import NotFoundError, RoeAgentJobResultLoader
from langchain_roe._core import _flow
from tests.support.mock_api import json_response, mock_client

DONE, RUNNING, SLOW = (
    "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10",
    "4fbc7396-d05e-4bc2-bad7-6e809c1b3d54",
    "6d1f9b3e-8a52-4c7f-8e4b-2f3a5b7c9d1e",
)
PROMPT = 5.0  # seconds: far above what leaving takes, far below what waiting would


@pytest.fixture(autouse=True)
def real_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_flow, "sleep", time.sleep)
    monkeypatch.setattr(_flow, "async_sleep", asyncio.sleep)
    monkeypatch.setattr(_flow, "monotonic", time.monotonic)
    monkeypatch.setattr(_flow, "wait", threading.Event.wait)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test: frees any request the fake server is holding."""
    event = threading.Event()
    yield event
    event.set()


def server(release: threading.Event) -> Any:
    """DONE has outputs; RUNNING never finishes; SLOW answers only once released; others: none."""

    def answer_one(agent_job_id: str) -> dict[str, Any]:
        if agent_job_id == DONE:
            outputs = [{"key": "k", "data_type": "text/plain", "value": "v"}]
            return {"id": agent_job_id, "status": 3, "result": outputs}
        if agent_job_id == RUNNING:
            return {"id": agent_job_id, "status": 1, "result": None}
        return {"id": agent_job_id, "status": None, "result": None}

    def respond(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["job_ids"]
        if SLOW in ids:
            release.wait(60)
        return json_response(200, [answer_one(i) for i in ids])

    return respond


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("langchain-roe_")]


def assert_workers_end() -> None:
    deadline = time.monotonic() + PROMPT
    while worker_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker_threads() == []


def loader_for(release: threading.Event, ids: list[str], **options: Any) -> RoeAgentJobResultLoader:
    return RoeAgentJobResultLoader(
        ids, client=mock_client(server(release)), batch_size=1, max_concurrency=2, **options
    )


def test_breaking_out_of_a_waiting_load_returns_at_once(release: threading.Event) -> None:
    loader = loader_for(release, [DONE, RUNNING], wait_for_completion=True, wait_timeout=600)
    started = time.monotonic()
    documents = cast(Generator[Document, None, None], loader.lazy_load())
    assert next(documents).page_content == "v"
    documents.close()  # what a `break` out of the for loop does
    assert time.monotonic() - started < PROMPT
    assert_workers_end()  # the poller stopped at its next sleep, not after 600 s


def test_an_error_from_the_first_job_surfaces_before_slow_ones_answer(
    release: threading.Event,
) -> None:
    loader = loader_for(release, ["3eab6285-cf4d-4ab1-a9c6-5d7f8b0a2c43", SLOW])
    started = time.monotonic()
    with pytest.raises(NotFoundError):
        loader.load()
    assert time.monotonic() - started < PROMPT
    release.set()
    assert_workers_end()


def test_ctrl_c_reaches_the_caller_at_once(release: threading.Event) -> None:
    loader = loader_for(release, [SLOW, DONE])
    # A real SIGINT, as Ctrl-C sends: it wakes the main thread from a blocking wait.
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        loader.load()
    assert time.monotonic() - started < PROMPT
    release.set()
    assert_workers_end()


def test_leaving_an_async_load_cancels_its_waits(release: threading.Event) -> None:
    loader = loader_for(release, [DONE, RUNNING], wait_for_completion=True, wait_timeout=600)

    async def first_then_leave() -> str:
        documents = cast(AsyncGenerator[Document, None], loader.alazy_load())
        try:
            first = await anext(documents)
        finally:
            await documents.aclose()  # what leaving `async for` under a closing context does
        return first.page_content

    started = time.monotonic()
    assert asyncio.run(first_then_leave()) == "v"
    assert time.monotonic() - started < PROMPT


def test_breaking_out_while_references_are_read_returns_at_once(release: threading.Event) -> None:
    """A reference the server holds back: leaving after the output's Document returns at once, and
    the reference workers end with the load (no thread left behind)."""
    cites = json.dumps(
        {
            "references": [
                f"https://api.roe-ai.com/v1/agents/jobs/{DONE}/references/{n}.md/" for n in range(4)
            ]
        }
    )

    def respond(request: httpx.Request) -> httpx.Response:
        if "/references/" in request.url.path:
            if not request.url.path.endswith("/0.md/"):
                release.wait(60)  # the first answers; the others are held on the wire
            return httpx.Response(200, content=b"# page", headers={"Content-Type": "text/markdown"})
        outputs = [{"key": "k", "data_type": "application/json", "value": cites}]
        return json_response(200, [{"id": DONE, "status": 3, "result": outputs}])

    loader = RoeAgentJobResultLoader(
        [DONE], client=mock_client(respond), load_references=True, max_concurrency=2
    )
    started = time.monotonic()
    documents = cast(Generator[Document, None, None], loader.lazy_load())
    assert next(documents).metadata["key"] == "k"
    assert next(documents).metadata["resource_id"] == "0.md"  # reference workers are running
    assert worker_threads()
    documents.close()
    assert time.monotonic() - started < PROMPT
    release.set()  # what is on the wire finishes; nothing new is sent
    assert_workers_end()
