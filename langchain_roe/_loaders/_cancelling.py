"""A loader whose units start jobs, and cancels those still running when its load is left early.

The run units report each job they start (`started_event`), each status change (`wait_flow`) and
each job they cancel at `wait_timeout`; `StartedJobs` keeps from those reports, and from the
outcomes the load hands over, the jobs that may still be running. When a load is left before its
end (a `break`, an error, Ctrl-C, its task cancelled) with `cancel_on_exit`, the runner is stopped
first (no unit starts another job), the jobs' statuses are asked once, and those still running
are cancelled, `max_concurrency` at a time, each call and the whole within a short budget
(`CANCEL_ON_EXIT_*`): best effort, logged, never raised over what ended the load.

A start request still on the wire when the load is left is let finish first (within
`CANCEL_ON_EXIT_TIMEOUT`: the units stop at their next step, their reports still delivered), so the
job it started is known and cancelled with the others. Only one whose answer takes longer than that
is left unknown, or every one still on the wire when that wait is itself interrupted (a second
Ctrl-C): the jobs already known are cancelled all the same.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncGenerator, Generator, Sequence
from contextlib import aclosing
from typing import Any, Final

from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core import _flow
from langchain_roe._core._calls import statuses_flow
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import (
    JOB_CANCELLED_EVENT,
    JOB_STARTED_EVENT,
    JOB_STATUS_EVENT,
    LOGGER_NAME,
)
from langchain_roe._core._exceptions import JobFailedError, RoeError
from langchain_roe._core._flow import Flow, Reporter
from langchain_roe._core._models import AgentJobStatusCode
from langchain_roe._loaders._base import JobDocumentsLoader
from langchain_roe._loaders._units import Feed, Runner, Unit, cancel_unit

# How long the cancelling a load does on its way out may take: each call within a tighter budget
# than the client's, the whole within a total (what is left is named).
CANCEL_ON_EXIT_TIMEOUT: Final = 10.0
CANCEL_ON_EXIT_MAX_RETRIES: Final = 1
CANCEL_ON_EXIT_BUDGET: Final = 30.0

logger = logging.getLogger(LOGGER_NAME)

#: Status names a progress event may carry that mean the job has stopped running.
_ENDED = frozenset(code.name for code in AgentJobStatusCode if code.is_terminal)

Outcomes = list[tuple[int, FinishedJob | RoeError]]
Cancelled = dict[str, RoeError | None]


class StartedJobs:
    """The jobs a load started that may still be running, by id, with their input's position.

    Fed by the units' reports (from worker threads: hence the lock) and by the outcomes handed
    over; `cancelled` collects, by input position, every job the load cancelled.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}
        self.cancelled: dict[int, str] = {}

    def report(self, event: dict[str, Any]) -> None:
        kind, agent_job_id = event.get("event"), str(event.get("agent_job_id"))
        with self._lock:
            if kind == JOB_STARTED_EVENT:
                self._running[agent_job_id] = event["input_index"]
            elif kind == JOB_STATUS_EVENT and event.get("status") in _ENDED:
                self._running.pop(agent_job_id, None)
            elif kind == JOB_CANCELLED_EVENT:
                self._running.pop(agent_job_id, None)
                self.cancelled[event["input_index"]] = agent_job_id

    def settle(self, outcomes: Outcomes) -> None:
        """Forget the jobs these outcomes show have ended (loaded, failed or cancelled)."""
        with self._lock:
            for _, outcome in outcomes:
                if isinstance(outcome, FinishedJob | JobFailedError) and outcome.agent_job_id:
                    self._running.pop(outcome.agent_job_id, None)

    def running(self) -> dict[str, int]:
        with self._lock:
            return dict(self._running)


class JobStartingLoader(JobDocumentsLoader[int]):
    """A loader of jobs its own units start, keyed by input position (`RoeAgentRunLoader`)."""

    # Its units start jobs: `max_concurrency` of them in flight, whatever their answers weigh.
    _read_ahead = False

    cancel_on_exit: bool = False
    cancelled: dict[int, str]
    _started: StartedJobs | None = None

    def _reporter(self, progress: Any) -> Reporter:
        shown, started = super()._reporter(progress), self._started
        if started is None:
            return shown

        def report(event: dict[str, Any]) -> None:
            started.report(event)
            shown(event)

        return report

    def _outcomes(self, linger: float = 0.0) -> Generator[Outcomes, None, None]:
        self.cancelled = {}
        if not self.cancel_on_exit:
            yield from super()._outcomes(linger)
            return
        self._started = started = StartedJobs()
        self.cancelled = started.cancelled
        # A start request on the wire when the load is left: its answer is waited for (each call
        # on the way out has the same bound), so the job it started is known and cancelled too.
        units = super()._outcomes(max(linger, CANCEL_ON_EXIT_TIMEOUT))
        ended = False
        try:
            for outcomes in units:
                started.settle(outcomes)
                yield outcomes
            ended = True
        finally:
            try:
                units.close()  # the runner stops first: no unit starts another job
            finally:  # also when its wait for answers on the wire is cut short (Ctrl-C again)
                self._started = None  # (its lock would not pickle with the loader)
                if not ended:
                    self._cancel_left(started)

    async def _aoutcomes(self, linger: float = 0.0) -> AsyncGenerator[Outcomes, None]:
        self.cancelled = {}
        if not self.cancel_on_exit:
            async with aclosing(super()._aoutcomes(linger)) as units:
                async for outcomes in units:
                    yield outcomes
            return
        self._started = started = StartedJobs()
        self.cancelled = started.cancelled
        units = super()._aoutcomes(max(linger, CANCEL_ON_EXIT_TIMEOUT))
        ended = False
        try:
            async for outcomes in units:
                started.settle(outcomes)
                yield outcomes
            ended = True
        finally:
            try:
                await units.aclose()
            finally:
                self._started = None
                if not ended:
                    await self._acancel_left(started)

    def _cancel_left(self, started: StartedJobs) -> None:
        running = started.running()
        if not running:
            return
        client, deadline = _bounded(self.client)
        try:
            ids = client._drive(still_running_flow(list(running), client.settings))
            cancelled: Cancelled = {}
            for outcomes in Runner(client, self.max_concurrency).run(_cancels(ids, deadline)):
                cancelled.update(outcomes)
        except Exception as error:  # never raised over what ended the load
            logger.warning("could not cancel the jobs the load started: %s", error)
            return
        _note(started, running, cancelled)

    async def _acancel_left(self, started: StartedJobs) -> None:
        running = started.running()
        if not running:
            return
        client, deadline = _bounded(self.client)
        try:
            ids = await client._adrive(still_running_flow(list(running), client.settings))
            cancelled: Cancelled = {}
            async for outcomes in Runner(client, self.max_concurrency).arun(
                _cancels(ids, deadline)
            ):
                cancelled.update(outcomes)
        except Exception as error:  # never raised over what ended the load
            logger.warning("could not cancel the jobs the load started: %s", error)
            return
        _note(started, running, cancelled)


def still_running_flow(ids: list[str], settings: RoeSettings) -> Flow[list[str]]:
    """The jobs among `ids` whose status is not final; all of them if the statuses cannot be read."""
    try:
        statuses = yield from statuses_flow(ids, settings)
    except RoeError:
        return ids
    running = []
    for agent_job_id in ids:
        status = statuses[agent_job_id]
        known = None if isinstance(status, RoeError) else status.status
        if known is None or not known.is_terminal:  # unreadable or unknown: try it anyway
            running.append(agent_job_id)
    return running


def _bounded(client: RoeClient) -> tuple[RoeClient, float]:
    """The client for cancelling on the way out, and the time by which it must be done."""
    bounded = client._within(CANCEL_ON_EXIT_TIMEOUT, CANCEL_ON_EXIT_MAX_RETRIES)
    return bounded, _flow.monotonic() + CANCEL_ON_EXIT_BUDGET


def _cancels(ids: Sequence[str], deadline: float) -> Feed[list[tuple[str, RoeError | None]]]:
    for agent_job_id in ids:
        yield Unit(cancel_unit(agent_job_id, deadline))


def _note(started: StartedJobs, running: dict[str, int], cancelled: Cancelled) -> None:
    """Record and log what the load cancelled on its way out, and what it could not."""
    done = [agent_job_id for agent_job_id, error in cancelled.items() if error is None]
    for agent_job_id in done:
        started.cancelled[running[agent_job_id]] = agent_job_id
    if done:
        logger.warning(
            "the load was left before its end: cancelled %d agent job(s) it started that were "
            "still running: %s",
            len(done),
            ", ".join(done),
        )
    for agent_job_id, error in cancelled.items():
        if error is not None:
            logger.warning(
                "the load was left before its end: agent job %s (input %d) may still be running, "
                "cancelling it failed: %s",
                agent_job_id,
                running[agent_job_id],
                error,
            )
