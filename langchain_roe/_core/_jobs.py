"""What a job's status means for its outputs: pure decisions shared by the client and the loader."""

from __future__ import annotations

from langchain_roe._core._exceptions import (
    APIStatusError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RoeError,
)
from langchain_roe._core._models import AgentJobStatus, AgentJobStatusCode


def job_state_error(
    agent_job_id: str,
    status: AgentJobStatusCode | None,
    error_message: str | None = None,
    *,
    status_code: int | None = None,
    request_id: str | None = None,
) -> RoeError | None:
    """The error that stops a job's outputs from being read, or None when the job succeeded.

    A null status means the server does not know the job.
    """
    if status is None:
        return NotFoundError(
            "no agent job with this id is visible to this API key and organization",
            status_code=status_code,
            request_id=request_id,
            agent_job_id=agent_job_id,
        )
    if status.succeeded:
        return None
    if not status.is_terminal:
        return JobNotFinishedError(
            f"the agent job has not finished: it is {status.name}",
            status=status,
            status_code=status_code,
            request_id=request_id,
            agent_job_id=agent_job_id,
        )
    reason = f": {error_message}" if error_message else ""
    return JobFailedError(
        f"the agent job ended in {status.name}{reason}",
        status=status,
        error_message=error_message,
        status_code=status_code,
        request_id=request_id,
        agent_job_id=agent_job_id,
    )


def explain_result_error(error: APIStatusError, status: AgentJobStatus | RoeError) -> RoeError:
    """Explain a 404 or 500 from the result endpoint by what the status endpoint said.

    An unknown job stays a not-found error; an unfinished, failed or cancelled job becomes the job
    state error; a finished job (or a status that could not be read) leaves the original error.
    """
    if isinstance(status, NotFoundError):
        return error if isinstance(error, NotFoundError) else status
    if isinstance(status, RoeError):
        return error
    explained = job_state_error(
        error.agent_job_id or "",
        status.status,
        status.error_message,
        status_code=error.status_code,
        request_id=error.request_id,
    )
    return explained or error
