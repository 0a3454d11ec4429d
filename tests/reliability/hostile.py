"""A raw-socket HTTP server on 127.0.0.1 that misbehaves on purpose, one behaviour per test.

Each behaviour is a function given the connection and the request's first line; it writes whatever
bytes it likes (headers a byte at a time, bodies without end, lies about lengths). Every loop is
bounded in time and stops when the client goes away, so no test can leave it running.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

#: No behaviour runs longer than this, whatever the client does.
MAX_BEHAVIOUR_SECONDS = 30.0

# What the tests against these servers share: a job, a key, the deadline, and the bound that
# catches a hang (ten times the deadline per attempt: it never measures speed).
JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
KEY = "hostile-test-key-0123456789"
TIMEOUT = 0.5
HANG = 10 * TIMEOUT

Behaviour = Callable[[socket.socket, str], None]


class HostileServer:
    """Serve every connection with `behaviour`; `requests` counts the requests read."""

    def __init__(self, behaviour: Behaviour, *, read_bodies: bool = True) -> None:
        self.behaviour = behaviour
        self.read_bodies = read_bodies
        """False: read only a request's headers, leaving its body unread (a server that stalls an
        upload)."""
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closing = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.settimeout(MAX_BEHAVIOUR_SECONDS)
            while not self._closing.is_set():
                head = _read_head(connection, read_body=self.read_bodies)
                if head is None:
                    return
                self.requests += 1
                self.behaviour(connection, head)


def _read_head(connection: socket.socket, *, read_body: bool = True) -> str | None:
    """The request's first line, after reading its headers (and body); None when the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and read_body:
            length = int(value)
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head.split(b"\r\n", 1)[0].decode("latin-1")


def trickle(data: bytes, every: float, *, after: bytes = b"") -> Behaviour:
    """Send `after` at once, then `data` one byte every `every` seconds, then hold the connection."""

    def behave(connection: socket.socket, head: str) -> None:
        connection.sendall(after)
        started = time.monotonic()
        for byte in data:
            if time.monotonic() - started > MAX_BEHAVIOUR_SECONDS:
                return
            connection.sendall(bytes([byte]))
            time.sleep(every)
        time.sleep(MAX_BEHAVIOUR_SECONDS)

    return behave


def endless(head_bytes: bytes, piece: bytes) -> Behaviour:
    """Send `head_bytes`, then `piece` again and again until the client goes (or time is up)."""

    def behave(connection: socket.socket, head: str) -> None:
        connection.sendall(head_bytes)
        started = time.monotonic()
        while time.monotonic() - started < MAX_BEHAVIOUR_SECONDS:
            connection.sendall(piece)

    return behave


def answer(status: int, body: bytes, *headers: str) -> Behaviour:
    """One fixed answer, with the headers given (Content-Length is added unless one is there)."""
    lines = [f"HTTP/1.1 {status} Status", "Content-Type: application/json", *headers]
    if not any(h.lower().startswith("content-length:") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def behave(connection: socket.socket, head: str) -> None:
        connection.sendall(raw)

    return behave


def gzip_bomb(decoded_bytes: int) -> bytes:
    """A small gzip body that decodes to `decoded_bytes` zero bytes."""
    return gzip.compress(b"\0" * decoded_bytes, compresslevel=9)


CHUNKED_200 = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)
CHUNKED_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def per_request(*behaviours: Behaviour) -> Behaviour:
    """Behave as `behaviours[n]` for a connection's n-th request (the last one for any later)."""
    served: dict[int, int] = {}

    def behave(connection: socket.socket, head: str) -> None:
        n = served.get(connection.fileno(), 0)
        served[connection.fileno()] = n + 1
        behaviours[min(n, len(behaviours) - 1)](connection, head)

    return behave


def hold(connection: socket.socket, head: str) -> None:
    """Answer nothing, reading nothing more, until the behaviour's time is up."""
    time.sleep(MAX_BEHAVIOUR_SECONDS)


def sip(connection: socket.socket, head: str) -> None:
    """Read the request's body a little at a time (a slow upload), answering nothing."""
    started = time.monotonic()
    while time.monotonic() - started < MAX_BEHAVIOUR_SECONDS:
        if not connection.recv(256 * 1024):
            return
        time.sleep(0.05)


@contextlib.contextmanager
def hostile(behaviour: Behaviour, *, read_bodies: bool = True) -> Iterator[HostileServer]:
    """A `HostileServer` for the length of a `with` block."""
    with HostileServer(behaviour, read_bodies=read_bodies) as server:
        yield server
