"""Loads read ahead within a byte budget, not `max_concurrency` answers whatever their size.

Four threads each holding an answer of megabytes (and each thread's allocator arena keeping it)
made a load's peak RSS grow with the threads: large answers are now read one at a time, small ones
still `max_concurrency` at a time (test_document_loaders.py pins that), sync and async alike.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid

import httpx
import pytest

from langchain_roe import RoeAgentJobResultLoader, RoeClient
from langchain_roe._loaders._units import READ_AHEAD_BYTES

LARGE = "x" * (READ_AHEAD_BYTES + 1)  # one output past the budget


def ids(count: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(count)]


def body(request: httpx.Request) -> bytes:
    asked = json.loads(request.content)["job_ids"]
    output = {"key": "text", "data_type": "text/plain", "value": LARGE}
    return json.dumps([{"id": i, "status": 3, "result": [output]} for i in asked]).encode()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_answers_past_the_budget_are_read_one_at_a_time(mode: str) -> None:
    lock = threading.Lock()
    in_flight, peak, threads = [0], [0], [0]

    def counted(request: httpx.Request) -> bytes:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        return body(request)

    def done() -> None:
        with lock:
            in_flight[0] -= 1

    def answer(request: httpx.Request) -> httpx.Response:
        content = counted(request)
        time.sleep(0.02)  # time for other units to be asked, were they started
        done()
        return httpx.Response(200, content=content)

    async def aanswer(request: httpx.Request) -> httpx.Response:
        content = counted(request)
        await asyncio.sleep(0.02)
        done()
        return httpx.Response(200, content=content)

    if mode == "sync":
        client = RoeClient(
            api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(answer))
        )
    else:
        transport = httpx.MockTransport(aanswer)
        client = RoeClient(api_key="k", async_http_client=httpx.AsyncClient(transport=transport))
    loader = RoeAgentJobResultLoader(ids(5), client=client, batch_size=1, max_concurrency=4)

    def seen() -> None:
        workers = [t for t in threading.enumerate() if t.name.startswith("langchain-roe_")]
        threads[0] = max(threads[0], len(workers))

    async def aload() -> int:
        count = 0
        async for document in loader.alazy_load():
            seen()
            count += document.page_content == LARGE
        return count

    if mode == "sync":
        loaded = 0
        for document in loader.lazy_load():
            seen()
            loaded += document.page_content == LARGE
    else:
        loaded = asyncio.run(aload())
    assert loaded == 5
    assert peak[0] == 1
    assert threads[0] <= 1  # no more threads than the window: each would keep an answer's memory
