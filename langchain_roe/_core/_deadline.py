"""One attempt's deadline: connect, send, headers and the whole body within `timeout` seconds.

httpx bounds each network operation, not an attempt: a server that trickles a byte a second never
trips a read timeout. The async send loop wraps the attempt in `asyncio.timeout`. A blocked sync read
cannot be cancelled, so a single watchdog thread shuts the attempt's socket down at the deadline,
which wakes the read; the send loop then reports the timeout. Deadlines use the real monotonic clock
(not `_clock`): they guard against hangs and must hold whatever a test does to time.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

from langchain_roe._core._constants import WATCHDOG_THREAD_NAME


class Deadline:
    """The moment one attempt must be over by."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    @property
    def expired(self) -> bool:
        """Whether the moment has passed."""
        return time.monotonic() >= self.at


class SocketGuard:
    """The sockets one sync attempt reads from, shut down if its deadline passes first.

    It learns a new connection's socket from httpcore's `trace` extension as the connection opens,
    and a reused connection's from the response's `network_stream` extension once headers arrive.
    """

    __slots__ = ("_done", "_lock", "_sockets", "expired")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._done = False
        self.expired = False

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """Keep (as httpcore's `trace` hook) the socket of each connection opened for this attempt."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watch(info.get("return_value"))

    def watch(self, network_stream: object) -> None:
        """Keep the socket under `network_stream` (an httpcore stream; anything else is ignored)."""
        get_extra_info = getattr(network_stream, "get_extra_info", None)
        sock = get_extra_info("socket") if callable(get_extra_info) else None
        if isinstance(sock, socket.socket):
            with self._lock:
                if self._done:
                    return
                self._sockets.append(sock)
                if not self.expired:
                    return
            _shut(sock)  # the deadline passed before the socket was known

    def expire(self) -> None:
        """The deadline passed: wake any blocked read by shutting the sockets down."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def finish(self) -> None:
        """The attempt is over: its sockets go back to the pool untouched."""
        with self._lock:
            self._done = True
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread calling `SocketGuard.expire` for guards whose deadline passed."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queue: list[tuple[float, int, SocketGuard]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline, guard: SocketGuard) -> None:
        """Expire `guard` at `deadline` unless it finished by then."""
        with self._condition:
            heapq.heappush(self._queue, (deadline.at, next(self._order), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name=WATCHDOG_THREAD_NAME, daemon=True
                )
                self._thread.start()
            if self._queue[0][2] is guard:  # the new earliest: the thread must wake sooner
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._queue:
                    self._condition.wait()
                at, _, guard = self._queue[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._queue)
            guard.expire()


#: The process's one watchdog thread, started on first use.
WATCHDOG = Watchdog()
