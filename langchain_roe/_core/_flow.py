"""Flows and their two drivers: the one way any multi-step operation runs, sync or async.

A flow is a generator that yields typed steps and receives each step's answer (or has its
`RoeError` thrown in): a `Call` (one API call, retried and bounded by the client), a `Sleep`, or
a `Report` (a progress event). The logic lives in the flow (what to ask, what an answer or an error
means); `drive` and `adrive` only perform steps, and differ by `await` alone. Client methods, the
loaders' units, the retriever's search and the run tool's run-and-read are all flows, composed
with `yield from`, so one driver runs the whole of a request: there is no flow inside a driver
inside a flow.

httpx's `Auth.auth_flow` is the model: a generator of typed requests, driven sync and async.

Time, in one place, here with the drivers that sleep: retries and status polls sleep and read the
clock only through this module's `sleep`, `async_sleep`, `monotonic` and `wait`, looked up at each
use, so tests swap in a fake clock and no test really waits. A worker thread that runs under
`stopped_by(event)` sleeps through `pause`, which wakes and raises `Stopped` as soon as the event
is set: leaving a loader early does not wait out a poll or a retry. A loader's async task that runs
under `task_stopped_by(event)` does the same through `apause` and `acheck`, for a load that lets
its units reach their next step rather than cancelling them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, cast

from langchain_roe._core._exceptions import RoeError
from langchain_roe._core._http import Call

T = TypeVar("T")


# The clock --------------------------------------------------------------------------------------

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


# Steps and their drivers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this long (status polls between their backoff steps)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Report:
    """A progress event for whoever watches the work (a LangGraph stream, a progress bar)."""

    event: dict[str, Any]


Step: TypeAlias = Call[Any] | Sleep | Report
Flow: TypeAlias = Generator[Step, Any, T]
Reporter: TypeAlias = Callable[[dict[str, Any]], None]
Send: TypeAlias = Callable[[Call[Any]], Any]
AsyncSend: TypeAlias = Callable[[Call[Any]], Awaitable[Any]]


def perform(step: Step, send: Send, report: Reporter | None) -> Any:
    """Carry out one step on this thread.

    A stopped thread makes no new request (`check`) and sleeps no more (`pause`),
    but still reports what has happened: a job whose start was answered after its load was left
    is reported, so the load can cancel it.
    """
    if isinstance(step, Call):
        check()
        return send(step)
    if isinstance(step, Sleep):
        return pause(step.seconds)
    if report is not None:
        report(step.event)
    return None


async def aperform(step: Step, send: AsyncSend, report: Reporter | None) -> Any:
    """Async `perform`.

    An async load is stopped by cancelling its tasks, which interrupts the `await` itself; one
    that lets its units reach their next step instead (`task_stopped_by`) stops them here.
    """
    if isinstance(step, Call):
        acheck()
        return await send(step)
    if isinstance(step, Sleep):
        return await apause(step.seconds)
    if report is not None:
        report(step.event)
    return None


def drive(flow: Flow[T], send: Send, report: Reporter | None = None) -> T:
    """Run `flow` to its end: each step performed, its answer sent back or its error thrown in."""
    try:
        step = next(flow)
        while True:
            try:
                answer = perform(step, send, report)
            except RoeError as error:
                step = flow.throw(error)
            else:
                step = flow.send(answer)
    except StopIteration as stop:
        return cast("T", stop.value)


async def adrive(flow: Flow[T], send: AsyncSend, report: Reporter | None = None) -> T:
    """Async `drive`: the same loop, awaiting each step."""
    try:
        step = next(flow)
        while True:
            try:
                answer = await aperform(step, send, report)
            except RoeError as error:
                step = flow.throw(error)
            else:
                step = flow.send(answer)
    except StopIteration as stop:
        return cast("T", stop.value)
