"""How the loader turns job ids into Documents or errors: one flow per unit of work, run sync or async.

A unit is a chunk of ids on the batch path, or one id on the per-job path. Its flow (see `_flow`)
yields the client's calls, sleeps and reports, and returns each job's outputs or error, in job
order; a `Runner` keeps up to `max_concurrency` units in flight and hands back their outcomes
in order.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
from collections import deque
from collections.abc import (
    AsyncGenerator,
    Callable,
    Generator,
    Mapping,
    Sequence,
)
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Final, Generic, TypeVar

from langchain_core.documents.base import Blob

from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core import _flow
from langchain_roe._core._calls import load_results_flow, result_flow, statuses_flow
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import JOB_CANCELLED_EVENT, JOB_STARTED_EVENT, LOGGER_NAME
from langchain_roe._core._control import cancel_flow
from langchain_roe._core._exceptions import (
    APITimeoutError,
    JobFailedError,
    JobNotFinishedError,
    RoeError,
    job_state_error,
)
from langchain_roe._core._flow import Flow, Report, Reporter, Step
from langchain_roe._core._inputs import needs_a_form
from langchain_roe._core._models import AgentJobStatusCode, status_code
from langchain_roe._core._references import reference_call, reference_flow
from langchain_roe._core._runs import run_call, run_flow, run_many_calls, run_many_flow
from langchain_roe._core._waiting import naming_job, wait_flow

T = TypeVar("T")

logger = logging.getLogger(LOGGER_NAME)

#: Seconds a load left early waits, with `linger`, before it says it is waiting.
LINGER_UNSAID: Final = 0.25

#: A job's outputs, or why it has none.
Outcome = tuple[str, FinishedJob | RoeError]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """What the loader was asked for, as the flows need it."""

    settings: RoeSettings
    """The client's settings: where a batch answer's next page may lead."""
    wait_for_completion: bool
    wait_timeout: float
    prefer_corrected_outputs: bool


def batch_unit(ids: list[str], options: LoadOptions) -> Flow[list[Outcome]]:
    """Load a chunk of jobs through the batch endpoints."""
    deadline = _flow.monotonic() + options.wait_timeout
    outcomes: dict[str, FinishedJob | RoeError] = {}
    asking = ids
    while asking:
        try:
            answers = yield from load_results_flow(asking, options.settings)
        except RoeError as error:
            outcomes.update((i, naming_job(error, i)) for i in asking)
            break
        failed: list[str] = []
        unfinished: dict[str, RoeError] = {}
        for agent_job_id in asking:
            answer = answers[agent_job_id]
            if isinstance(answer, RoeError):
                outcomes[agent_job_id] = answer
                continue
            state = job_state_error(agent_job_id, status_code(answer.status))
            if state is None:
                outcomes[agent_job_id] = FinishedJob.from_item(
                    agent_job_id, answer, prefer_corrected=options.prefer_corrected_outputs
                )
            elif isinstance(state, JobFailedError):
                failed.append(agent_job_id)
            elif isinstance(state, JobNotFinishedError):
                unfinished[agent_job_id] = state
            else:
                outcomes[agent_job_id] = state
        if failed:  # the batch answer has no error message: the statuses endpoint has it
            outcomes.update((yield from _failures_explained(failed, options.settings)))
        if not options.wait_for_completion:
            outcomes.update(unfinished)
            break
        settled = yield from wait_flow(
            list(unfinished), deadline, options.wait_timeout, options.settings, batch=True
        )
        asking = [i for i, state in settled.items() if state is None]
        outcomes.update((i, state) for i, state in settled.items() if state is not None)
    return [(i, outcomes[i]) for i in ids]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the run loader was asked for, as its units need it."""

    agent_id: str
    version_id: str | None
    metadata: Mapping[str, Any] | None
    skip_cache: bool
    run_key: str
    """Prefix of this load's idempotency keys: `<run_key>-<input position>`."""
    load: LoadOptions
    cancel_unfinished: bool = False
    """Cancel a job still running at `wait_timeout` (the run loader's `cancel_on_exit`)."""


def run_unit(
    positions: range, inputs: Sequence[Mapping[str, Any]], options: RunOptions
) -> Flow[list[tuple[int, FinishedJob | RoeError]]]:
    """Start the jobs for a chunk of inputs, wait for them and load them, keyed by position.

    Text-only inputs go in one many-inputs request; a load of one input, and inputs with files or
    several values for an input (or a version, or metadata, which that endpoint cannot take) are
    started one by one, each under its own idempotency key. An input that cannot be sent after
    all (a file changed since the inputs were checked) fails alone, as a `RoeError`.
    Each job started is reported (`started_event`), so a load left early knows what to cancel;
    with `cancel_unfinished`, a job still running at `wait_timeout` is cancelled, and its error
    says whether it was.
    """
    started: dict[int, str] = {}
    failed: dict[int, RoeError] = {}
    singly = options.version_id is not None or options.metadata is not None or len(inputs) == 1
    if singly or any(needs_a_form(v) for p in positions for v in inputs[p].values()):
        for position in positions:
            try:
                call = run_call(
                    options.agent_id,
                    inputs[position],
                    version_id=options.version_id,
                    metadata=options.metadata,
                    idempotency_key=f"{options.run_key}-{position}",
                    skip_cache=options.skip_cache,
                    max_upload_bytes=options.load.settings.max_upload_bytes,
                )
            except ValueError as error:  # a file changed since the inputs were checked
                failed[position] = RoeError(f"inputs[{position}] was not sent: {error}")
                continue
            try:
                started[position] = yield from run_flow(call)
            except RoeError as error:
                failed[position] = error
            else:
                yield Report(started_event(started[position], position))
    else:
        chunk = [inputs[p] for p in positions]
        try:
            calls = run_many_calls(
                options.agent_id,
                chunk,
                skip_cache=options.skip_cache,
                idempotency_key=options.run_key,
                first_position=positions.start,
            )
            ids = yield from run_many_flow(calls)
        except RoeError as error:
            failed.update((p, error) for p in positions)
        else:
            started.update(zip(positions, ids, strict=True))
            for position, agent_job_id in zip(positions, ids, strict=True):
                yield Report(started_event(agent_job_id, position))
    outcomes: dict[int, FinishedJob | RoeError] = dict(failed)
    if started:
        loaded = dict((yield from batch_unit(list(started.values()), options.load)))
        for position, agent_job_id in started.items():
            outcome = loaded[agent_job_id]
            if isinstance(outcome, FinishedJob):
                outcome = replace(outcome, input_index=position)
            elif options.cancel_unfinished and isinstance(outcome, JobNotFinishedError):
                outcome = yield from _cancel_unfinished(agent_job_id, position, outcome)
            outcomes[position] = outcome
    return [(position, outcomes[position]) for position in positions]


def started_event(agent_job_id: str, position: int) -> dict[str, Any]:
    """What a run unit reports of each job it started (the run tool writes the same event)."""
    return {"event": JOB_STARTED_EVENT, "agent_job_id": agent_job_id, "input_index": position}


def _cancel_unfinished(
    agent_job_id: str, position: int, error: JobNotFinishedError
) -> Flow[RoeError]:
    """Cancel a job still running at `wait_timeout`: its error, saying whether it was cancelled."""
    try:
        yield from cancel_flow(agent_job_id)
    except RoeError as failure:
        return noted(error, f"cancelling it failed: {failure.message}")
    yield Report(
        {"event": JOB_CANCELLED_EVENT, "agent_job_id": agent_job_id, "input_index": position}
    )
    return noted(error, "it was cancelled (cancel_on_exit)")


def cancel_unit(agent_job_id: str, deadline: float) -> Flow[list[tuple[str, RoeError | None]]]:
    """Cancel one job unless `deadline` has passed: None once cancelled, else why it was not."""
    if _flow.monotonic() >= deadline:
        msg = "not cancelled: the time allowed for cancelling on the way out had run out"
        return [(agent_job_id, APITimeoutError(msg, agent_job_id=agent_job_id, request_sent=False))]
    try:
        yield from cancel_flow(agent_job_id)
    except RoeError as error:
        return [(agent_job_id, error)]
    return [(agent_job_id, None)]


def noted(error: RoeError, note: str) -> RoeError:
    """A copy of `error` whose message ends with `note`."""
    named = copy.copy(error)
    named.message = f"{error.message}; {note}"
    return named


def single_unit(agent_job_id: str, options: LoadOptions) -> Flow[list[Outcome]]:
    """Load one job through `GET .../result/`."""
    deadline = _flow.monotonic() + options.wait_timeout
    while True:
        try:
            result = yield from result_flow(agent_job_id)
        except JobNotFinishedError as error:
            if not options.wait_for_completion:
                return [(agent_job_id, error)]
            settled = yield from wait_flow(
                [agent_job_id], deadline, options.wait_timeout, options.settings, batch=False
            )
            state = settled[agent_job_id]
            if state is not None:
                return [(agent_job_id, state)]
        except RoeError as error:
            return [(agent_job_id, error)]
        else:
            return [(agent_job_id, FinishedJob.from_result(agent_job_id, result))]


def reference_unit(
    agent_job_id: str, reference: str, settings: RoeSettings
) -> Flow[Blob | RoeError]:
    """Fetch one reference a job cites; its error, if it fails, instead of raising."""
    try:
        return (yield from reference_flow(reference_call(agent_job_id, reference, settings)))
    except RoeError as error:
        return error


def _failures_explained(ids: list[str], settings: RoeSettings) -> Flow[dict[str, RoeError]]:
    """Failed jobs' errors with the server's message, read from the statuses endpoint."""
    try:
        statuses = yield from statuses_flow(ids, settings)
    except RoeError:
        statuses = {}
    explained: dict[str, RoeError] = {}
    for agent_job_id in ids:
        status = statuses.get(agent_job_id)
        known = None if isinstance(status, RoeError) or status is None else status
        error = known and job_state_error(agent_job_id, known.status, known.error_message)
        explained[agent_job_id] = error or JobFailedError(
            "the agent job ended in FAILURE or CANCELLED; its error message could not be read",
            status=AgentJobStatusCode.FAILURE,
            agent_job_id=agent_job_id,
        )
    return explained


# Running units: sync through a thread pool, async as tasks; outcomes come back in unit order.

#: A unit's result's size in bytes, as `ReadAhead` counts it.
Weigh = Callable[[Any], int]

#: How many bytes of answers a load reads ahead of the one being handed over (see `ReadAhead`).
READ_AHEAD_BYTES: Final = 8 * 2**20


class ReadAhead:
    """How many units a runner keeps in flight: `max_concurrency`, fewer when results are large.

    The units in flight and waiting hold their answers, decoded; in a thread pool each thread's
    allocator arena also keeps its largest unit's memory. So the window holds at most
    `READ_AHEAD_BYTES` of results, by the largest result handed over so far (`weigh`): small
    answers keep every thread busy, answers of megabytes are read one at a time. The first unit
    is read alone, to weigh it; without `weigh` the window is `max_concurrency`.
    """

    __slots__ = ("_largest", "_most", "_weigh")

    def __init__(self, max_concurrency: int, weigh: Weigh | None) -> None:
        self._most, self._weigh = max_concurrency, weigh
        self._largest: int | None = None

    def units(self) -> int:
        """The units to keep in flight now."""
        if self._weigh is None:
            return self._most
        if self._largest is None:
            return 1
        return max(1, min(self._most, READ_AHEAD_BYTES // max(self._largest, 1)))

    def handed(self, result: T) -> T:
        """Weigh a result handed over; return it."""
        if self._weigh is not None:
            size = self._weigh(result)
            self._largest = size if self._largest is None else max(self._largest, size)
        return result


def outcomes_size(outcomes: Sequence[tuple[Any, FinishedJob | RoeError]]) -> int:
    """A unit's loaded outputs' size in bytes (their values' characters): what it holds."""
    return sum(
        len(output.value)
        for _, job in outcomes
        if isinstance(job, FinishedJob)
        for output in job.outputs
    )


def _drive_until(
    stop: threading.Event, unit: Flow[T], client: RoeClient, report: Reporter | None
) -> T:
    with _flow.stopped_by(stop):
        return client._drive(unit, report)


async def _adrive_until(
    stop: asyncio.Event, unit: Flow[T], client: RoeClient, report: Reporter | None
) -> T:
    with _flow.task_stopped_by(stop):  # this task's own copy of the context
        return await client._adrive(unit, report)


@dataclass(frozen=True, slots=True)
class Unit(Generic[T]):
    """A unit of work a feed hands the runner, to run alongside the others in flight."""

    flow: Flow[T]


#: What a loader hands the runners: its units of work, with the steps that find them between
#: (a listing's pages, performed on the caller's thread or task as the units are wanted).
Feed = Generator[Step | Unit[T], Any, None]


def next_unit(feed: Feed[T]) -> Flow[Flow[T] | None]:
    """The feed's next unit (None once the feed is done): a flow yielding the steps before it."""
    answer = None
    while True:
        try:
            item = feed.send(answer)
        except StopIteration:
            return None
        if isinstance(item, Unit):
            return item.flow
        answer = yield item


@dataclass(frozen=True, slots=True)
class Runner:
    """How a load runs its units: sync through a thread pool (`run`), async as tasks (`arun`).

    At most `max_concurrency` units are in flight, fewer when results are large (`weigh`, a
    result's size in bytes: see `ReadAhead`); each step's progress event goes to `report`. Left
    early, the runner waits up to `linger` seconds for its running units to stop.
    """

    client: RoeClient
    max_concurrency: int
    report: Reporter | None = None
    weigh: Weigh | None = None
    linger: float = 0.0

    def run(self, feed: Feed[T]) -> Generator[T, None, None]:
        """Drive the feed's units; yield their results in order.

        A unit is started when the oldest is handed over, so no more units' answers are held at
        once than are in flight: memory follows the units in flight, not the number of jobs. The
        feed's own steps (listing pages) run on this thread as units are wanted.

        Leaving early (a `break`, an error, Ctrl-C) returns at once: units not started are
        dropped, running ones stop at their next sleep or request, and only a request already on
        the wire is let finish (within its timeout) in its thread. With `linger`, it first waits up
        to that many seconds for the running units to stop, so what their last answers told is
        reported (a job that a request on the wire started) before the caller acts on the reports.
        """
        client, report, linger = self.client, self.report, self.linger
        stop = threading.Event()
        pools: list[
            ThreadPoolExecutor
        ] = []  # the last one is in use; as many threads as the window
        window: deque[Any] = deque()
        ahead = ReadAhead(self.max_concurrency, self.weigh)
        try:
            while (unit := client._drive(next_unit(feed), report)) is not None:
                wanted = ahead.units()
                if not pools or pools[-1]._max_workers < wanted:
                    # A larger window: a larger pool. Not one pool of the largest size from the
                    # start: a thread pool may start a thread when an idle one has not yet said
                    # so, and each thread's allocator arena keeps the largest unit it read.
                    if pools:
                        pools[-1].shutdown(wait=False)  # its units run on; its threads end after
                    pools.append(ThreadPoolExecutor(wanted, thread_name_prefix="langchain-roe"))
                window.append(pools[-1].submit(_drive_until, stop, unit, client, report))
                while len(window) >= ahead.units():
                    yield ahead.handed(window.popleft().result())
            while window:
                yield window.popleft().result()
        finally:
            stop.set()
            for pool in pools:
                pool.shutdown(wait=False, cancel_futures=True)
            if linger and window:
                _, running = futures.wait(window, timeout=min(linger, LINGER_UNSAID))
                if running and linger > LINGER_UNSAID:  # a shorter linger is over: nothing to say
                    _say_lingering(len(running), linger)
                    futures.wait(running, timeout=linger - LINGER_UNSAID)

    async def arun(self, feed: Feed[T]) -> AsyncGenerator[T, None]:
        """Async `run`: the units run as tasks on the running loop.

        Leaving early cancels the running units' tasks, or with `linger` first lets them stop at
        their next sleep or request for up to that many seconds (a request on the wire answered).
        """
        client, report, linger = self.client, self.report, self.linger
        window: deque[asyncio.Task[T]] = deque()
        ahead = ReadAhead(self.max_concurrency, self.weigh)
        stop = asyncio.Event()
        try:
            while (unit := await client._adrive(next_unit(feed), report)) is not None:
                window.append(asyncio.ensure_future(_adrive_until(stop, unit, client, report)))
                while len(window) >= ahead.units():
                    yield ahead.handed(await window.popleft())
            while window:
                yield await window.popleft()
        finally:
            stop.set()
            try:
                if linger and window:
                    _, running = await asyncio.wait(window, timeout=min(linger, LINGER_UNSAID))
                    if running and linger > LINGER_UNSAID:
                        _say_lingering(len(running), linger)
                        await asyncio.wait(running, timeout=linger - LINGER_UNSAID)
            finally:
                for task in window:
                    task.cancel()
                await asyncio.gather(*window, return_exceptions=True)


def _say_lingering(running: int, linger: float) -> None:
    logger.warning(
        "the load was left before its end: waiting up to %g s for %d request(s) still on the wire, "
        "so that the jobs they start can be cancelled (interrupt again to cancel only those known)",
        linger,
        running,
    )
