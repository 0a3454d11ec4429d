"""Cancelling jobs and deleting a job's data, as `Call`s and flows, each with its retry rule.

These calls act, so each says when it may be sent again (see `Retry`):

- **cancel one job** (`POST /v1/agents/jobs/{job_id}/cancel/`, `204`): `Retry.READ`. Cancelling is
  idempotent in effect: a job cancelled twice is as cancelled as once, so a repeat after a lost
  answer changes nothing. What the server answers a repeat is undocumented; a refusal (a 4xx
  other than 401, 403, 404, 408 and 429) is checked against the job's status, and a job that is
  CANCELLED is what was asked for, not an error.
- **cancel all of an agent's running jobs** (`POST /v1/agents/{agent_id}/jobs/cancel-all/`):
  `Retry.READ`, for the same reason: a repeat targets the jobs still running then, and cancels no
  job twice. Its count is the answering attempt's: after a repeat it may leave out jobs a lost
  first attempt already targeted.
- **delete a job's data** (`POST /v1/agents/jobs/{job_id}/delete-data/`): `Retry.UNSENT`, repeated
  only where the server provably did not act (the connection was never made, 408, 429). A repeat
  would delete nothing twice, but the spec does not say the endpoint is idempotent, and the
  answer's counts are the caller's record of what was purged: a repeat after a lost answer would
  report zeros for data the first attempt deleted. Any other failure is raised as it is; the
  data may then be deleted or not, and calling again is safe.

The spec marks the cancel and delete-data paths deprecated (their replacements are not in it);
they are the paths the official SDKs call.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from langchain_roe._core._calls import single_flow, status_call
from langchain_roe._core._constants import CANCEL_ALL_PATH, CANCEL_PATH, DELETE_DATA_PATH
from langchain_roe._core._exceptions import (
    APIStatusError,
    NotFoundError,
    RoeError,
    is_setup_error,
    refused,
)
from langchain_roe._core._formats import canonical_uuid
from langchain_roe._core._http import Call, Retry, decoder, job_path, no_body
from langchain_roe._core._models import (
    AgentJobCancelAll,
    AgentJobStatus,
    AgentJobStatusCode,
    JobDataDeletion,
)
from langchain_roe._core._retry import is_retryable


def cancel_call(agent_job_id: str) -> Call[None]:
    """`POST /v1/agents/jobs/{agent_job_id}/cancel/` for a canonical id: retried as a read."""
    path = job_path(CANCEL_PATH, agent_job_id)
    return Call("POST", path, no_body, agent_job_id=agent_job_id, retry=Retry.READ)


def cancel_all_call(agent_id: str) -> Call[AgentJobCancelAll]:
    """`POST /v1/agents/{agent_id}/jobs/cancel-all/`: retried as a read.

    Raises:
        ValueError: `agent_id` is not a UUID (before any request).
    """
    path = CANCEL_ALL_PATH.format(agent_id=canonical_uuid(agent_id, "agent_id"))
    return Call("POST", path, decoder(AgentJobCancelAll), retry=Retry.READ)


def delete_data_call(agent_job_id: str) -> Call[JobDataDeletion]:
    """`POST /v1/agents/jobs/{agent_job_id}/delete-data/` for a canonical id.

    Sent again only where the server provably did not act.
    """
    path = job_path(DELETE_DATA_PATH, agent_job_id)
    return Call(
        "POST", path, decoder(JobDataDeletion), agent_job_id=agent_job_id, retry=Retry.UNSENT
    )


def cancel_flow(agent_job_id: str) -> Generator[Call[Any], Any, None]:
    """Cancel one job; a refusal is checked against its status (CANCELLED: done, not an error)."""
    try:
        yield cancel_call(agent_job_id)
    except APIStatusError as error:
        if not _explainable(error):
            raise
        try:
            status: AgentJobStatus = yield status_call(agent_job_id)
        except RoeError:
            raise error from None
        if status.status is not AgentJobStatusCode.CANCELLED:
            raise


def cancel_all_flow(agent_id: str) -> Generator[Call[Any], Any, int]:
    """Cancel an agent's running jobs; the answer is how many were targeted."""
    answer: AgentJobCancelAll = yield cancel_all_call(agent_id)
    return answer.targeted_count


def delete_data_flow(agent_job_id: str) -> Generator[Call[Any], Any, JobDataDeletion]:
    """Delete one job's data; the answer is the server's counts."""
    return (yield from single_flow(delete_data_call(agent_job_id)))


def _explainable(error: APIStatusError) -> bool:
    """A refusal the job's status may explain: a 4xx that is not about the key, the id or the rate."""
    if is_setup_error(error) or isinstance(error, NotFoundError):
        return False
    return refused(error, retryable=is_retryable(error, Retry.READ))
