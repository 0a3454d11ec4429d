"""Waiting for jobs: statuses polled with backoff and jitter until each ends or a deadline passes.

`wait_flow` is the one way jobs are waited for, by the loaders and the run tool alike: a flow (see
`_flow`) of status calls, sleeps and a progress report for each change of a job's status.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from typing import Any, Final

from langchain_roe._core import _flow
from langchain_roe._core._calls import status_flow, statuses_flow
from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import JOB_STATUS_EVENT
from langchain_roe._core._exceptions import JobNotFinishedError, RoeError, job_state_error
from langchain_roe._core._flow import Flow, Report, Sleep
from langchain_roe._core._models import AgentJobStatus, AgentJobStatusCode, AgentJobStatusItem

#: Status polls back off from the first delay (seconds) to the last, by this factor, with jitter.
POLL_INITIAL_DELAY: Final = 0.5
POLL_MAX_DELAY: Final = 10.0
POLL_BACKOFF: Final = 1.3
POLL_JITTER: Final = 0.2


def poll_delay(polls_done: int, *, jitter: Callable[[], float] = random.random) -> float:
    """Seconds before the next status poll: from about 0.5 s growing to about 10 s, with jitter."""
    delay = min(POLL_INITIAL_DELAY * POLL_BACKOFF**polls_done, POLL_MAX_DELAY)
    return delay * (1.0 + POLL_JITTER * (2.0 * jitter() - 1.0))


def wait_flow(
    ids: list[str], deadline: float, wait_timeout: float, settings: RoeSettings, *, batch: bool
) -> Flow[dict[str, RoeError | None]]:
    """Poll the jobs' statuses until each is terminal or the deadline passes.

    Each id maps to None once it succeeded (its result can be read), else to its error: failed or
    cancelled with the server's message, not found, not finished by the deadline, or the error that
    stopped polling. Each change of a job's status is reported (a `Report` step; see `progress`).
    """
    settled: dict[str, RoeError | None] = {}
    waiting: dict[str, AgentJobStatusCode] = dict.fromkeys(ids, AgentJobStatusCode.PENDING)
    polls = 0
    while waiting:
        delay = min(poll_delay(polls), deadline - _flow.monotonic())
        if delay <= 0:
            break
        yield Sleep(delay)
        polls += 1
        asked = list(waiting)
        statuses: Mapping[str, AgentJobStatus | AgentJobStatusItem | RoeError]
        try:
            if batch:
                statuses = yield from statuses_flow(asked, settings)
            else:
                statuses = {asked[0]: (yield from status_flow(asked[0]))}
        except RoeError as error:
            settled.update((i, naming_job(error, i)) for i in asked)
            return settled
        for agent_job_id in asked:
            status = statuses[agent_job_id]
            if not isinstance(status, RoeError) and status.status != waiting[agent_job_id]:
                yield Report(progress(agent_job_id, status.status))
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
    for agent_job_id, code in waiting.items():
        settled[agent_job_id] = JobNotFinishedError(
            f"the agent job did not finish within wait_timeout={wait_timeout:g}s: it is {code.name}",
            status=code,
            agent_job_id=agent_job_id,
        )
    return settled


def progress(agent_job_id: str, status: AgentJobStatusCode | None) -> dict[str, Any]:
    """A progress event, as the run tool writes it to a LangGraph graph's custom stream."""
    name = status.name if status is not None else "UNKNOWN"
    return {"event": JOB_STATUS_EVENT, "agent_job_id": agent_job_id, "status": name}


def naming_job(error: RoeError, agent_job_id: str) -> RoeError:
    """`error` naming `agent_job_id` (a copy, when one error stands for a whole chunk)."""
    if error.agent_job_id == agent_job_id:
        return error
    named = copy.copy(error)
    named.agent_job_id = agent_job_id
    return named
