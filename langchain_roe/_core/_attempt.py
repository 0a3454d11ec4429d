"""One attempt's bounds: its deadline, and its body read within a size cap.

The deadline: connect, send, headers and the whole body within `timeout` seconds. httpx bounds each
network operation, not an attempt: a server that trickles a byte a second never trips a read
timeout. The async send loop wraps the attempt in `asyncio.timeout`. A blocked sync read or write cannot
be cancelled, so a single watchdog thread shuts the attempt's socket down at the deadline, which
wakes it; the send loop then reports the timeout. Deadlines use the real monotonic clock (not
`_flow.monotonic`): they guard against hangs and must hold whatever a test does to time.

The body: read from its raw stream within `max_response_bytes` (or `max_reference_bytes`), gzip and
deflate inflated piece by piece.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from langchain_roe._core._constants import (
    CONTENT_ENCODING_HEADER,
    CONTENT_LENGTH_HEADER,
    INFLATE_PIECE_BYTES,
    MAX_ERROR_BODY_BYTES,
    REQUEST_ID_HEADER,
    WATCHDOG_THREAD_NAME,
)
from langchain_roe._core._exceptions import InvalidResponseError, ResponseTooLargeError

if TYPE_CHECKING:
    from langchain_roe._core._http import Call


# The deadline --------------------------------------------------------------------------------------


class SocketGuard:
    """The sockets one sync attempt uses, shut down if its deadline passes first.

    It learns a new connection's socket from httpcore's `trace` extension as the connection opens.
    A connection kept alive from an earlier attempt reports its socket when this attempt first
    writes to or reads from it (each stream it has seen is made to report itself to the thread's
    running attempt), so a server stalling headers or an upload there is cut off too.
    """

    __slots__ = ("_done", "_lock", "_sockets", "expired")

    def __init__(self) -> None:
        """Guard the attempt this thread begins: streams it reuses report their sockets here."""
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._done = False
        self.expired = False
        _RUNNING.guard = self

    def finish(self) -> None:
        """The attempt is over: its sockets go back to the pool untouched."""
        if _RUNNING.guard is self:
            _RUNNING.guard = None
        with self._lock:
            self._done = True
            self._sockets.clear()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """Keep (as httpcore's `trace` hook) the socket of each connection opened for this attempt."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watch(info.get("return_value"))

    def watch(self, network_stream: object) -> None:
        """Keep the socket under `network_stream` (an httpcore stream; anything else is ignored)."""
        get_extra_info = getattr(network_stream, "get_extra_info", None)
        sock = get_extra_info("socket") if callable(get_extra_info) else None
        if not isinstance(sock, socket.socket):
            return
        _report_use(network_stream)
        with self._lock:
            if self._done or sock in self._sockets:
                return
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)  # the deadline passed before the socket was known

    def expire(self) -> None:
        """The deadline passed: wake any blocked read or write by shutting the sockets down."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


class _Running(threading.local):
    guard: SocketGuard | None = None
    """The attempt this thread is running, if any (a sync attempt sends in its own thread)."""


_RUNNING = _Running()


def _report_use(stream: Any) -> None:
    """Make `stream` tell the thread's running attempt, on its first read or write, it is in use.

    Only this stream object changes (its `read` and `write` gain a first step); a stream used
    outside an attempt behaves as before.
    """
    if getattr(stream, "_roe_reports_use", False):
        return
    read, write = stream.read, stream.write
    told: list[SocketGuard | None] = [None]  # the attempt told last: each is told once

    def reporting_read(max_bytes: int, timeout: float | None = None) -> bytes:
        if (guard := _RUNNING.guard) is not told[0] and guard is not None:
            told[0] = guard
            guard.watch(stream)
        return read(max_bytes, timeout)  # type: ignore[no-any-return]

    def reporting_write(buffer: bytes, timeout: float | None = None) -> None:
        if (guard := _RUNNING.guard) is not told[0] and guard is not None:
            told[0] = guard
            guard.watch(stream)
        write(buffer, timeout)

    with contextlib.suppress(AttributeError):  # a stream with fixed slots: known at headers only
        stream.read, stream.write, stream._roe_reports_use = reporting_read, reporting_write, True


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

    def arm(self, deadline: float, guard: SocketGuard) -> None:
        """Expire `guard` at `deadline` (on `time.monotonic`'s clock) unless it finished by then."""
        with self._condition:
            heapq.heappush(self._queue, (deadline, next(self._order), guard))
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


# The body ------------------------------------------------------------------------------------------


class BodyCollector:
    """Gathers an answer's body from its raw stream, decoding it, within a size cap.

    A 2xx body past `limit` decoded bytes is an error (`ResponseTooLargeError`); an error answer is
    only read far enough for its message (`MAX_ERROR_BODY_BYTES`), the rest left unread. gzip and
    deflate (the encodings we ask for) are inflated here a piece at a time, so a compressed body
    costs at most the cap and one piece in memory however far it would inflate.
    """

    __slots__ = (
        "_call",
        "_inflater",
        "_joined",
        "_limit",
        "_pieces",
        "_response",
        "_setting",
        "_size",
    )

    def __init__(
        self,
        response: httpx.Response,
        call: Call[Any],
        limit: int,
        setting: tuple[str, str],
    ) -> None:
        self._response, self._call, self._setting = response, call, setting
        self._limit = limit if response.is_success else MAX_ERROR_BODY_BYTES
        # The pieces as they come, joined once at the end: a growing buffer would copy a large
        # body each time it outgrew its allocation.
        self._pieces: list[bytes] = []
        self._size = 0
        self._joined: bytes | None = None
        encoding = response.headers.get(CONTENT_ENCODING_HEADER, "").strip().lower()
        self._inflater = _Inflater.for_encoding(encoding) if encoding else None
        if self._inflater is None and encoding not in ("", "identity"):
            raise self._invalid(f"is encoded as {encoding!r}, which was not asked for")
        announced = response.headers.get(CONTENT_LENGTH_HEADER, "")
        plain = self._inflater is None
        if response.is_success and plain and announced.isdigit() and int(announced) > limit:
            raise self._too_large(f"announces {int(announced):,} bytes")

    @property
    def body(self) -> bytes:
        """The body read, joined (once) from its pieces."""
        if self._joined is None:
            self._joined = b"".join(self._pieces)
            self._pieces = []
        return self._joined

    def took_content(self) -> bool:
        """Keep the body if the response was read when made (a transport answering from memory).

        Such a body is decoded already; True when there was one, and the raw stream is not read.
        """
        if not self._response.is_stream_consumed:
            return False
        self._inflater = None
        self._keep(self._response.content)
        return True

    def add(self, raw: bytes) -> bool:
        """Keep the body `raw` (as received) holds; False once enough is kept (an error's prefix).

        Raises:
            ResponseTooLargeError: A 2xx body grew past the cap.
            InvalidResponseError: The compressed body is corrupt.
        """
        if self._inflater is None:
            return self._keep(raw)
        try:
            for piece in self._inflater.pieces(raw):
                if not self._keep(piece):
                    return False
        except zlib.error as exc:
            raise self._invalid(f"has a corrupt compressed body ({exc})") from None
        return True

    def _keep(self, piece: bytes) -> bool:
        room = self._limit - self._size
        if len(piece) <= room:
            self._pieces.append(piece)
            self._size += len(piece)
            return True
        if not self._response.is_success:
            self._pieces.append(piece[:room])
            self._size = self._limit
            return False
        raise self._too_large(f"grew past {self._limit:,} bytes")

    def _too_large(self, what: str) -> ResponseTooLargeError:
        name, env_var = self._setting
        msg = (
            f"the answer to {self._call.describe()} {what}, more than {name}="
            f"{self._limit:,} allows (raise it with {name}=... or {env_var} if the answer is "
            "legitimate)"
        )
        return ResponseTooLargeError(
            msg,
            status_code=self._response.status_code,
            request_id=self._response.headers.get(REQUEST_ID_HEADER),
            agent_job_id=self._call.agent_job_id,
        )

    def _invalid(self, what: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"the answer to {self._call.describe()} {what}",
            status_code=self._response.status_code,
            request_id=self._response.headers.get(REQUEST_ID_HEADER),
            agent_job_id=self._call.agent_job_id,
        )


class _Inflater:
    """gzip or deflate, inflated at most `INFLATE_PIECE_BYTES` at a time."""

    __slots__ = ("_decompressor", "_raw_deflate_fallback")

    def __init__(self, wbits: int, *, raw_deflate_fallback: bool = False) -> None:
        self._decompressor = zlib.decompressobj(wbits)
        self._raw_deflate_fallback = raw_deflate_fallback

    @classmethod
    def for_encoding(cls, encoding: str) -> _Inflater | None:
        if encoding in ("gzip", "x-gzip"):
            return cls(zlib.MAX_WBITS | 16)
        if encoding == "deflate":  # zlib-wrapped as the spec says, or raw as some servers send
            return cls(zlib.MAX_WBITS, raw_deflate_fallback=True)
        return None

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                piece = self._decompressor.decompress(data, INFLATE_PIECE_BYTES)
            except zlib.error:
                if not self._raw_deflate_fallback:
                    raise
                self._raw_deflate_fallback = False
                self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_deflate_fallback = False
            data = self._decompressor.unconsumed_tail
            if piece:
                yield piece
            if not data and len(piece) < INFLATE_PIECE_BYTES:
                return
