"""Steps and waiting: what the loaders and the run tool ask of the client, and status polling.

A flow yields `Step`s (a `RoeClient` method with its arguments, a sleep, or a progress report);
`perform` and `aperform` carry them out, sync or async. `wait_flow` is the one way jobs are waited
for: statuses polled with backoff and jitter until each job ends or a deadline passes.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_roe._core import _clock
from langchain_roe._core._client import RoeClient
from langchain_roe._core._constants import (
    JOB_STATUS_EVENT,
    POLL_BACKOFF,
    POLL_INITIAL_DELAY,
    POLL_JITTER,
    POLL_MAX_DELAY,
)
from langchain_roe._core._exceptions import JobNotFinishedError, RoeError
from langchain_roe._core._flow import Flow
from langchain_roe._core._jobs import job_state_error
from langchain_roe._core._models import AgentJobStatusCode


@dataclass(frozen=True, slots=True)
class Step:
    """One thing a flow needs done: a `RoeClient` method called with `args`, or a sleep."""

    method: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...] = ()


def poll_delay(polls_done: int, *, jitter: Callable[[], float] = random.random) -> float:
    """Seconds before the next status poll: from about 0.5 s growing to about 10 s, with jitter."""
    delay = min(POLL_INITIAL_DELAY * POLL_BACKOFF**polls_done, POLL_MAX_DELAY)
    return delay * (1.0 + POLL_JITTER * (2.0 * jitter() - 1.0))


def wait_flow(
    ids: list[str], deadline: float, wait_timeout: float, *, batch: bool
) -> Flow[Step, dict[str, RoeError | None]]:
    """Poll the jobs' statuses until each is terminal or the deadline passes.

    Each id maps to None once it succeeded (its result can be read), else to its error: failed or
    cancelled with the server's message, not found, not finished by the deadline, or the error that
    stopped polling. Each change of a job's status is reported (a `report` step; see `progress`).
    """
    settled: dict[str, RoeError | None] = {}
    waiting: dict[str, AgentJobStatusCode] = dict.fromkeys(ids, AgentJobStatusCode.PENDING)
    polls = 0
    while waiting:
        delay = min(poll_delay(polls), deadline - _clock.monotonic())
        if delay <= 0:
            break
        yield Step("sleep", (delay,))
        polls += 1
        asked = list(waiting)
        try:
            if batch:
                statuses = yield Step("get_statuses", (asked,))
            else:
                statuses = {asked[0]: (yield Step("get_status", (asked[0],)))}
        except RoeError as error:
            settled.update((i, about(error, i)) for i in asked)
            return settled
        for agent_job_id in asked:
            status = statuses[agent_job_id]
            if not isinstance(status, RoeError) and status.status != waiting[agent_job_id]:
                yield Step("report", (progress(agent_job_id, status.status),))
            if isinstance(status, RoeError):
                settled[agent_job_id] = status
                del waiting[agent_job_id]
            elif status.status is not None and not status.status.is_terminal:
                waiting[agent_job_id] = status.status
            else:
                settled[agent_job_id] = job_state_error(
                    agent_job_id, status.status, status.error_message
                )
                del waiting[agent_job_id]
    for agent_job_id, status in waiting.items():
        settled[agent_job_id] = JobNotFinishedError(
            f"the agent job did not finish within wait_timeout={wait_timeout:g}s: it is {status.name}",
            status=status,
            agent_job_id=agent_job_id,
        )
    return settled


def progress(agent_job_id: str, status: AgentJobStatusCode | None) -> dict[str, Any]:
    """A progress event, as the run tool writes it to a LangGraph graph's custom stream."""
    name = status.name if status is not None else "UNKNOWN"
    return {"event": JOB_STATUS_EVENT, "agent_job_id": agent_job_id, "status": name}


def about(error: RoeError, agent_job_id: str) -> RoeError:
    """`error` naming `agent_job_id` (a copy, when one error stands for a whole chunk)."""
    if error.agent_job_id == agent_job_id:
        return error
    named = copy.copy(error)
    named.agent_job_id = agent_job_id
    return named


def async_name(method: str) -> str:
    """The async twin's name: `get_status` -> `aget_status`, `_load_results` -> `_aload_results`."""
    private = method.startswith("_")
    return ("_a" if private else "a") + method.removeprefix("_")


def perform(
    client: RoeClient, report: Callable[[dict[str, Any]], None] | None = None
) -> Callable[[Step], Any]:
    def perform(step: Step) -> Any:
        _clock.check()  # no new request once the caller has gone
        if step.method == "sleep":
            return _clock.pause(*step.args)
        if step.method == "report":
            return report(*step.args) if report is not None else None
        return getattr(client, step.method)(*step.args, **dict(step.kwargs))

    return perform


def aperform(
    client: RoeClient, report: Callable[[dict[str, Any]], None] | None = None
) -> Callable[[Step], Any]:
    async def perform(step: Step) -> Any:
        if step.method == "sleep":
            return await _clock.async_sleep(*step.args)
        if step.method == "report":
            return report(*step.args) if report is not None else None
        return await getattr(client, async_name(step.method))(*step.args, **dict(step.kwargs))

    return perform
