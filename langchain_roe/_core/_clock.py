"""Time, in one place: retries and status polls sleep and read the clock only through here.

The functions are looked up at each use, so tests swap in a fake clock and no test really waits.
A worker thread that runs under `stopped_by(event)` sleeps through `pause`, which wakes and raises
`Stopped` as soon as the event is set: leaving a loader early does not wait out a poll or a retry.
A loader's async task that runs under `task_stopped_by(event)` does the same through `apause` and
`acheck`, for a load that lets its units reach their next step rather than cancelling them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable, Iterator

sleep: Callable[[float], None] = time.sleep
async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
monotonic: Callable[[], float] = time.monotonic
wait: Callable[[threading.Event, float], bool] = threading.Event.wait
"""Wait up to some seconds for an event; True if it was set."""

_local = threading.local()
_task_stop: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar(
    "langchain_roe_task_stop", default=None
)


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


@contextlib.contextmanager
def task_stopped_by(event: asyncio.Event) -> Iterator[None]:
    """Make `apause` and `acheck` in this task give up once `event` is set."""
    token = _task_stop.set(event)
    try:
        yield
    finally:
        _task_stop.reset(token)


def acheck() -> None:
    """Raise `Stopped` if this task's work is no longer wanted."""
    event = _task_stop.get()
    if event is not None and event.is_set():
        raise Stopped


async def apause(seconds: float) -> None:
    """Async `pause`: sleep, waking early (and raising `Stopped`) once this task's work stops."""
    event = _task_stop.get()
    if event is None:
        await async_sleep(seconds)
        return
    if event.is_set():
        raise Stopped
    sleeping, stopping = (
        asyncio.ensure_future(async_sleep(seconds)),
        asyncio.ensure_future(event.wait()),
    )
    try:
        await asyncio.wait((sleeping, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeping.cancel()
        stopping.cancel()
    if event.is_set():
        raise Stopped
