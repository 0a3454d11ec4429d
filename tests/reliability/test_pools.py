"""Connection pools: one per client (and per event loop), every one closed, no ResourceWarning."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import httpx
import pytest

from langchain_roe import RoeAgentJobResultLoader, RoeAgentJobResultTool, RoeClient
from tests.support.loopback import LoopbackServer, ServerConfig, job_ids

JOBS = job_ids(8)


def answer(request: httpx.Request) -> httpx.Response:
    time.sleep(0.01)  # long enough for threads starting together to race for the pool
    body = request.content and json.loads(request.content)
    ids = body["job_ids"] if body else [request.url.path.split("/")[4]]
    items = [
        {"id": i, "status": 3, "result": [{"key": "k", "data_type": "text/plain", "value": i}]}
        for i in ids
    ]
    if not body:
        return httpx.Response(200, json={"outputs": items[0]["result"]})
    return httpx.Response(200, json=items)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every pool the client opens, answering from `answer`."""
    pools: list[Any] = []
    transport = httpx.MockTransport(answer)

    class Client(httpx.Client):
        def __init__(self) -> None:
            time.sleep(0.05)  # a slow start: threads racing to the first request all get here
            super().__init__(transport=transport)
            pools.append(self)

    class AsyncClient(httpx.AsyncClient):
        def __init__(self) -> None:
            super().__init__(transport=transport)
            pools.append(self)

    monkeypatch.setattr(
        httpx, "Client", Client
    )  # what langchain_roe._core._client opens, for this test
    monkeypatch.setattr(httpx, "AsyncClient", AsyncClient)
    return pools


def test_threads_starting_together_open_one_sync_pool_and_close_closes_it(
    opened: list[Any],
) -> None:
    loader = RoeAgentJobResultLoader(
        JOBS, api_key="k", batch_size=1, max_concurrency=8, use_batch_endpoint=True
    )
    assert len(loader.load()) == len(JOBS)
    assert len(opened) == 1
    loader.client.close()
    assert all(pool.is_closed for pool in opened)


def test_each_event_loop_gets_a_pool_closed_when_the_loop_ends(opened: list[Any]) -> None:
    client = RoeClient(api_key="k")
    tool = RoeAgentJobResultTool(client=client)
    loader = RoeAgentJobResultLoader(JOBS, client=client, batch_size=2, max_concurrency=4)
    for _ in range(3):
        asyncio.run(tool.ainvoke({"agent_job_id": JOBS[0]}))
        assert len(asyncio.run(loader.aload())) == len(JOBS)
    assert len(opened) == 6  # one per asyncio.run, not one per request
    assert all(pool.is_closed for pool in opened)  # each closed as its loop shut down
    asyncio.run(client.aclose())  # and closing the client afterwards is fine


def test_aclose_closes_this_loops_pool_at_once(opened: list[Any]) -> None:
    client = RoeClient(api_key="k")

    async def use_then_close() -> bool:
        await client.aget_result(JOBS[0])
        await client.aclose()
        return all(pool.is_closed for pool in opened)

    assert asyncio.run(use_then_close())
    assert len(opened) == 1


def test_aclose_closes_a_pool_of_a_loop_running_in_another_thread(opened: list[Any]) -> None:
    client = RoeClient(api_key="k")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(client.aget_result(JOBS[0]), loop).result(timeout=10)
        asyncio.run(client.aclose())
        deadline = time.monotonic() + 10
        while not opened[0].is_closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert opened[0].is_closed
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, threading, warnings
    from langchain_roe import RoeAgentJobResultLoader, RoeAgentJobResultTool, RoeClient

    base_url, ids = sys.argv[1], sys.argv[2].split(",")
    client = RoeClient(api_key="loopback-key", base_url=base_url)
    loader = RoeAgentJobResultLoader(ids, client=client, batch_size=2, max_concurrency=4)
    tool = RoeAgentJobResultTool(client=client)
    assert len(loader.load()) == 4 * len(ids)
    assert len(asyncio.run(loader.aload())) == 4 * len(ids)
    for _ in range(3):
        asyncio.run(tool.ainvoke({"agent_job_id": ids[0]}))
    threads = [threading.Thread(target=client.get_result, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    asyncio.run(client.aclose())
    print("done")
    """
)


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_no_resource_warning_under_dev_mode() -> None:
    with LoopbackServer(ServerConfig()) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-X",
                "dev",
                "-W",
                "always::ResourceWarning",
                "-c",
                SCRIPT,
                server.base_url,
                ",".join(JOBS),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("ROE_")},
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert "ResourceWarning" not in done.stderr
    assert "unclosed" not in done.stderr
