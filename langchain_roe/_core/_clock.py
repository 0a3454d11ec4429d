"""Time, in one place: retries and status polls sleep and read the clock only through here.

The functions are looked up at each use, so tests swap in a fake clock and no test really waits.
A worker thread that runs under `stopped_by(event)` sleeps through `pause`, which wakes and raises
`Stopped` as soon as the event is set: leaving a loader early does not wait out a poll or a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

sleep: Callable[[float], None] = time.sleep
async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
monotonic: Callable[[], float] = time.monotonic
wait: Callable[[threading.Event, float], bool] = threading.Event.wait
"""Wait up to some seconds for an event; True if it was set."""

_local = threading.local()


class Stopped(Exception):
    """The work this thread was doing is no longer wanted."""


@contextlib.contextmanager
def stopped_by(event: threading.Event) -> Iterator[None]:
    """Make `pause` and `check` in this thread give up once `event` is set."""
    previous = getattr(_local, "stop", None)
    _local.stop = event
    try:
        yield
    finally:
        _local.stop = previous


def check() -> None:
    """Raise `Stopped` if this thread's work is no longer wanted."""
    event: threading.Event | None = getattr(_local, "stop", None)
    if event is not None and event.is_set():
        raise Stopped


def pause(seconds: float) -> None:
    """Sleep, waking early (and raising `Stopped`) if this thread's work stops being wanted."""
    event: threading.Event | None = getattr(_local, "stop", None)
    if event is None:
        sleep(seconds)
    elif wait(event, seconds):
        raise Stopped
