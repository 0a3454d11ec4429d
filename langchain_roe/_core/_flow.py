"""Flows and their two drivers: the one way any multi-step operation runs, sync or async.

A flow is a generator that yields typed steps and receives each step's answer (or has its
`RoeError` thrown in): a `Call` (one API call, retried and bounded by the client), a `Sleep`, or
a `Report` (a progress event). The logic lives in the flow (what to ask, what an answer or an error
means); `drive` and `adrive` only perform steps, and differ by `await` alone. Client methods, the
loaders' units, the retriever's search and the run tool's run-and-read are all flows, composed
with `yield from`, so one driver runs the whole of a request: there is no flow inside a driver
inside a flow.

httpx's `Auth.auth_flow` is the model: a generator of typed requests, driven sync and async.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, cast

from langchain_roe._core import _clock
from langchain_roe._core._exceptions import RoeError
from langchain_roe._core._http import Call

T = TypeVar("T")


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

    A stopped thread makes no new request (`_clock.check`) and sleeps no more (`_clock.pause`),
    but still reports what has happened: a job whose start was answered after its load was left
    is reported, so the load can cancel it.
    """
    if isinstance(step, Call):
        _clock.check()
        return send(step)
    if isinstance(step, Sleep):
        return _clock.pause(step.seconds)
    if report is not None:
        report(step.event)
    return None


async def aperform(step: Step, send: AsyncSend, report: Reporter | None) -> Any:
    """Async `perform`.

    An async load is stopped by cancelling its tasks, which interrupts the `await` itself; one
    that lets its units reach their next step instead (`task_stopped_by`) stops them here.
    """
    if isinstance(step, Call):
        _clock.acheck()
        return await send(step)
    if isinstance(step, Sleep):
        return await _clock.apause(step.seconds)
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
