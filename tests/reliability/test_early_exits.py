"""Leaving a load early, sync and async: back at once, nothing left running, nothing sent after.

One guarantee, parametrised over both paths: a `break` out of `lazy_load` (the generator closed)
or out of `alazy_load` (the async generator closed with `aclose`) returns promptly while units are
still in flight (a status poll that would wait 600 s, references or a batch held on the wire), and
once it has returned nothing of the load is left: no worker thread (sync), no pending task (async:
the cancelled units were awaited, not abandoned to the loop), and no request sent afterwards.
Real clock; the bound only catches a hang.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, cast

import httpx
import pytest
from langchain_core.documents import Document

from langchain_roe import RoeAgentJobResultLoader, RoeClient
from tests.reliability.test_prompt_exits import (  # the same real clock and release, shared
    real_clock,  # noqa: F401 - an autouse fixture, in force here too
    release,  # noqa: F401 - a fixture
)
from tests.support.listing import LISTED_AGENT_ID, synthetic_job
from tests.support.loopback import job_ids

DONE, RUNNING = job_ids(2)
PROMPT = 5.0  # seconds: far above what leaving takes, far below what waiting would
HOLD = 60.0  # how long a held request would take to answer


Answer = Callable[[httpx.Request], httpx.Response | None]
"""The scenario's server: an answer, or None to hold the request (until released, or forever)."""


class Server:
    """One scenario's answers behind a sync and an async transport; `sent` counts requests."""

    def __init__(self, answer: Answer, held: threading.Event) -> None:
        self.answer, self.release, self.sent = answer, held, 0

    def sync(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        answered = self.answer(request)
        if answered is None:
            self.release.wait(HOLD)
            return httpx.Response(503)
        return answered

    async def asynchronous(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        answered = self.answer(request)
        if answered is None:
            await asyncio.sleep(HOLD)  # held: only cancelling the unit ends it early
            return httpx.Response(503)
        return answered

    def client(self) -> RoeClient:
        return RoeClient(
            api_key="test-key-not-secret",
            http_client=httpx.Client(transport=httpx.MockTransport(self.sync)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(self.asynchronous)),
            max_retries=0,
        )


def item(agent_job_id: str, status: int = 3, value: str = "v") -> dict[str, Any]:
    outputs = [{"key": "k", "data_type": "application/json", "value": value}]
    return {"id": agent_job_id, "status": status, "result": outputs if status == 3 else None}


def waiting(request: httpx.Request) -> httpx.Response | None:
    """DONE has outputs, RUNNING never finishes: its unit polls (a 600 s wait)."""
    ids = json.loads(request.content)["job_ids"]
    return httpx.Response(200, json=[item(i, 3 if i == DONE else 1) for i in ids])


CITES = json.dumps(
    {
        "references": [
            f"https://api.roe-ai.com/v1/agents/jobs/{DONE}/references/{n}.md/" for n in range(4)
        ]
    }
)


def citing(request: httpx.Request) -> httpx.Response | None:
    """DONE cites four files: the first answers, the others are held on the wire."""
    if "/references/" in request.url.path:
        if request.url.path.endswith("/0.md/"):
            return httpx.Response(200, content=b"# page", headers={"Content-Type": "text/markdown"})
        return None
    return httpx.Response(200, json=[item(DONE, value=CITES)])


LISTED = job_ids(6)


def listing(request: httpx.Request) -> httpx.Response | None:
    """Six jobs listed two a page; the second page's batch is held on the wire."""
    if request.url.path.endswith("/jobs/"):
        page = int(request.url.params.get("page", "1"))
        jobs = [synthetic_job(i, n).summary() for n, i in enumerate(LISTED)][
            2 * (page - 1) : 2 * page
        ]
        more = f"https://api.roe-ai.com/v1/agents/{LISTED_AGENT_ID}/jobs/?page={page + 1}"
        return httpx.Response(
            200, json={"count": 6, "next": more if page < 3 else None, "results": jobs}
        )
    ids = json.loads(request.content)["job_ids"]
    if LISTED[2] in ids:
        return None
    return httpx.Response(200, json=[item(i) for i in ids])


def by_ids(client: RoeClient, ids: list[str], **options: Any) -> RoeAgentJobResultLoader:
    return RoeAgentJobResultLoader(ids, client=client, batch_size=1, max_concurrency=2, **options)


SCENARIOS: dict[str, tuple[Answer, Callable[[RoeClient], RoeAgentJobResultLoader], int]] = {
    "a status poll waiting": (
        waiting,
        lambda c: by_ids(c, [DONE, RUNNING], wait_for_completion=True, wait_timeout=600),
        1,
    ),
    "references on the wire": (
        citing,
        lambda c: RoeAgentJobResultLoader(
            [DONE], client=c, load_references=True, max_concurrency=2
        ),
        2,
    ),
    "a listing's batch on the wire": (
        listing,
        lambda c: RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, client=c, page_size=2, batch_size=2, max_concurrency=2
        ),
        2,
    ),
}


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("langchain-roe_")]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_leaving_a_load_early_returns_at_once_and_leaves_nothing_running(
    release: threading.Event,  # noqa: F811 - the fixture imported above
    mode: str,
    scenario: str,
) -> None:
    answer, make, take = SCENARIOS[scenario]
    server = Server(answer, release)
    loader = make(server.client())
    started = time.monotonic()
    if mode == "sync":
        documents = cast(Generator[Document, None, None], loader.lazy_load())
        taken = [next(documents) for _ in range(take)]
        documents.close()  # what a `break` out of the for loop does
        left_at = time.monotonic() - started
        release.set()  # what is on the wire finishes (a thread cannot be interrupted mid-request)
        deadline = time.monotonic() + PROMPT
        while worker_threads() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker_threads() == []  # each unit stopped at its next step: no thread is left
        sent = server.sent
        time.sleep(0.2)  # were a unit still alive, it would ask again by now
        leftover: list[str] = []
    else:

        async def take_then_leave() -> tuple[list[Document], float, int, list[str]]:
            documents = cast(AsyncGenerator[Document, None], loader.alazy_load())
            try:
                taken = [await anext(documents) for _ in range(take)]
            finally:
                await documents.aclose()  # what leaving `async for` under `aclosing` does
            left_at = time.monotonic() - started
            # Nothing of the load is pending once `aclose` has returned: its cancelled units
            # were awaited here, not left to the loop.
            current = asyncio.current_task()
            pending = [repr(t) for t in asyncio.all_tasks() if t is not current]
            sent = server.sent
            await asyncio.sleep(0.2)  # were a unit still alive, it would ask again by now
            return taken, left_at, sent, pending

        taken, left_at, sent, leftover = asyncio.run(take_then_leave())
    assert left_at < PROMPT
    assert len(taken) == take
    assert leftover == []
    assert server.sent == sent  # nothing asked after leaving
