"""Drivers for flows: generators that yield the steps they need and receive each step's answer.

A flow holds the logic (what to ask, what an answer or an error means); a driver only performs
steps. The sync and async drivers differ by `await` alone, so the logic of every multi-step
operation, in the client and in the loader, is written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

from langchain_roe._core._exceptions import RoeError

StepT = TypeVar("StepT")
T = TypeVar("T")

Flow = Generator[StepT, Any, T]


def drive(flow: Flow[StepT, T], perform: Callable[[StepT], Any]) -> T:
    """Run `flow`, performing each step it yields; a `RoeError` is thrown back into the flow."""
    try:
        step = next(flow)
        while True:
            try:
                answer = perform(step)
            except RoeError as error:
                step = flow.throw(error)
            else:
                step = flow.send(answer)
    except StopIteration as stop:
        return cast("T", stop.value)


async def adrive(flow: Flow[StepT, T], perform: Callable[[StepT], Awaitable[Any]]) -> T:
    """Async `drive`: the same loop, awaiting each step."""
    try:
        step = next(flow)
        while True:
            try:
                answer = await perform(step)
            except RoeError as error:
                step = flow.throw(error)
            else:
                step = flow.send(answer)
    except StopIteration as stop:
        return cast("T", stop.value)
