"""The attempt's deadline holds on a kept-alive connection as on a new one, reading and uploading.

The first request of each connection is answered at once, so the next request reuses that connection;
the server then misbehaves on it. Time bounds are ten times the deadline: they catch a hang only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from langchain_roe import APITimeoutError, RoeClient
from tests.reliability.hostile import (
    HANG,
    JOB,
    KEY,
    TIMEOUT,
    Behaviour,
    answer,
    hold,
    hostile,
    per_request,
    sip,
    trickle,
)

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

AGENT = "5d2c0a4e-8b1f-4c3d-9e7a-6f8b0c2d4e1a"
STATUS = answer(200, b'{"status": 3, "timestamp": 1719556664.5}')
UPLOAD = b"\0" * (32 * 1024 * 1024)  # far more than the socket buffers hold

MISBEHAVIOURS: dict[str, Behaviour] = {
    "headers one byte at a time": trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000, 0.05),
    "no answer at all": hold,
    "body one byte at a time": trickle(
        b'{"status": 3, "padding": "' + b"x" * 10_000,
        0.05,
        after=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n",
    ),
}

Second = Callable[[RoeClient], Any]


def _twice(mode: str, client: RoeClient, second: Second, asecond: Second) -> None:
    """One quick call, then `second` on the same client (so on the same kept-alive connection)."""
    if mode == "sync":
        client.get_status(JOB)
        second(client)
        return

    async def both() -> None:
        await client.aget_status(JOB)
        await asecond(client)

    asyncio.run(both())


def _bounded(mode: str, client: RoeClient, second: Second, asecond: Second) -> None:
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match=r"within the 0\.5s timeout"):
        _twice(mode, client, second, asecond)
    assert time.monotonic() - started < HANG


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("behaviour", MISBEHAVIOURS.values(), ids=MISBEHAVIOURS.keys())
def test_a_read_on_a_reused_connection_ends_within_its_deadline(
    mode: str, behaviour: Behaviour
) -> None:
    with hostile(per_request(STATUS, behaviour)) as server:
        client = RoeClient(api_key=KEY, base_url=server.base_url, timeout=TIMEOUT, max_retries=0)
        _bounded(
            mode,
            client,
            lambda c: c.get_status(JOB),
            lambda c: c.aget_status(JOB),
        )
        assert server.requests == 2  # the second call was sent, on the first call's connection


STALLS: dict[str, Behaviour] = {"reads nothing": hold, "reads a little at a time": sip}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("reused", [False, True], ids=["new connection", "reused connection"])
@pytest.mark.parametrize("stall", STALLS.values(), ids=STALLS.keys())
def test_an_upload_the_server_stalls_ends_within_its_deadline(
    mode: str, reused: bool, stall: Behaviour
) -> None:
    behaviour = per_request(STATUS, stall) if reused else stall
    with hostile(behaviour, read_bodies=False) as server:
        client = RoeClient(api_key=KEY, base_url=server.base_url, timeout=TIMEOUT, max_retries=0)
        inputs = {"document": UPLOAD}

        def second(c: RoeClient) -> Any:
            return c.run_agent(AGENT, inputs)

        def asecond(c: RoeClient) -> Any:
            return c.arun_agent(AGENT, inputs)

        if not reused:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match=r"within the 0\.5s timeout"):
                second(client) if mode == "sync" else asyncio.run(asecond(client))
            assert time.monotonic() - started < HANG
        else:
            _bounded(mode, client, second, asecond)
