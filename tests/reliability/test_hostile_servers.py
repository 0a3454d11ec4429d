"""Against servers that misbehave on purpose: every call ends in time, memory stays bounded.

Each test runs a raw-socket server (`hostile.py`) on 127.0.0.1. Time bounds here are ten times what
the code should take: they catch a hang, never measure speed.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from langchain_roe import (
    APITimeoutError,
    ResponseTooLargeError,
    RoeAgentJobResultLoader,
    RoeClient,
    ServerError,
)
from tests.conftest import Invoke
from tests.reliability.hostile import (
    CHUNKED_200,
    CHUNKED_500,
    HANG,
    JOB,
    KEY,
    TIMEOUT,
    Behaviour,
    answer,
    chunk,
    endless,
    gzip_bomb,
    hostile,
    trickle,
)

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

CAP = 1024 * 1024

TRICKLES: dict[str, Behaviour] = {
    "body one byte at a time": trickle(
        b'{"status": 3, "padding": "' + b"x" * 10_000,
        0.05,
        after=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n",
    ),
    "headers one byte at a time": trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000, 0.05),
    "headers then silence": trickle(
        b"", 0.05, after=b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
    ),
}


def client_for(base_url: str, **settings: object) -> RoeClient:
    return RoeClient(api_key=KEY, base_url=base_url, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("behaviour", TRICKLES.values(), ids=TRICKLES.keys())
def test_one_attempt_ends_within_its_timeout(invoke: Invoke, behaviour: Behaviour) -> None:
    with hostile(behaviour) as server:
        client = client_for(server.base_url, timeout=TIMEOUT, max_retries=0)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"within the 0\.5s timeout"):
            invoke(client.get_status, JOB)
        assert time.monotonic() - started < HANG
        assert server.requests == 1


def test_each_retry_gets_a_deadline_of_its_own(invoke: Invoke) -> None:
    with hostile(TRICKLES["body one byte at a time"]) as server:
        client = client_for(server.base_url, timeout=TIMEOUT, max_retries=2)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            invoke(client.get_status, JOB)
        assert time.monotonic() - started < 3 * HANG
        assert server.requests == 3  # timeouts are retried, each attempt bounded


def test_the_loader_and_its_workers_end_against_a_trickling_server() -> None:
    with hostile(TRICKLES["body one byte at a time"]) as server:
        loader = RoeAgentJobResultLoader(
            JOB, api_key=KEY, base_url=server.base_url, timeout=TIMEOUT, max_retries=0
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            loader.load()
        assert time.monotonic() - started < HANG


BIG_BODIES: dict[str, tuple[Behaviour, str]] = {
    "endless chunked 200": (endless(CHUNKED_200, chunk(b"[" * 65536)), "grew past 1,048,576"),
    "a 5 GB Content-Length": (
        answer(200, b"", "Content-Length: 5000000000"),
        "announces 5,000,000,000 bytes",
    ),
    "a gzip bomb": (
        answer(200, gzip_bomb(64 * CAP), "Content-Encoding: gzip"),
        "grew past 1,048,576",
    ),
}


@pytest.mark.parametrize(("behaviour", "what"), BIG_BODIES.values(), ids=BIG_BODIES.keys())
def test_a_body_past_the_cap_is_a_typed_error_and_is_not_retried(
    invoke: Invoke, behaviour: Behaviour, what: str
) -> None:
    with hostile(behaviour) as server:
        client = client_for(server.base_url, max_response_bytes=CAP, max_retries=3, timeout=20)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                invoke(client.get_status, JOB)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    message = str(caught.value)
    assert what in message
    assert "max_response_bytes" in message
    assert "ROE_MAX_RESPONSE_BYTES" in message
    assert server.requests == 1  # as large the next time: not retried
    # The cap plus one decoded piece (a compressed read may inflate about a thousandfold).
    print("PEAK", peak)
    assert peak < CAP + 128 * CAP


def test_an_endless_error_body_is_read_only_for_its_message(invoke: Invoke) -> None:
    with hostile(endless(CHUNKED_500, chunk(b"database on fire " * 4000))) as server:
        client = client_for(server.base_url, max_retries=0, timeout=20)
        started = time.monotonic()
        with pytest.raises(ServerError, match="database on fire") as caught:
            invoke(client.get_status, JOB)
        assert time.monotonic() - started < 20
    assert len(caught.value.message) <= 200
    assert isinstance(caught.value.body, str)
    assert len(caught.value.body) <= 64 * 1024


@pytest.mark.parametrize(("behaviour", "what"), BIG_BODIES.values(), ids=BIG_BODIES.keys())
def test_a_reference_past_its_own_cap_is_a_typed_error_with_memory_near_the_cap(
    invoke: Invoke, behaviour: Behaviour, what: str
) -> None:
    """A reference file is capped by `max_reference_bytes`, whatever `max_response_bytes` allows."""
    with hostile(behaviour) as server:
        client = client_for(
            server.base_url, max_reference_bytes=CAP, max_response_bytes=64 * CAP, timeout=20
        )
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as caught:
                invoke(client.get_reference, JOB, "page.md")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert what in caught.value.message
    assert "max_reference_bytes" in caught.value.message
    assert server.requests == 1
    assert peak < CAP + 128 * CAP
