"""The errors langchain-roe raises.

RoeError                         anything this package raises about the API
├── ConfigurationError           a setting is missing or invalid (also a ValueError)
├── InvalidAgentJobIdError       an agent job id that is not a UUID (also a ValueError)
├── InvalidReferenceError        a reference that is not one of the job's, or points off the API host
│                                (also a ValueError; nothing was sent)
├── APIConnectionError           no answer: the connection failed or dropped
│   └── APITimeoutError          no answer within the timeout
├── APIStatusError               the server answered 4xx or 5xx
│   ├── BadRequestError          400: the server refused the request's content (its message says why)
│   ├── AuthenticationError      401: the API key is missing or wrong
│   ├── PermissionDeniedError    403: the key may not read this job
│   ├── NotFoundError            404, or a requested id absent from a batch answer
│   ├── RateLimitError           429
│   └── ServerError              5xx
├── InvalidResponseError         a 2xx body that does not match the API spec
│   └── ResponseTooLargeError    a body past `max_response_bytes` or `max_reference_bytes`
├── RunOutcomeUnknownError       a request starting jobs failed; whether they exist is unknown
├── JobStateError                the job exists but has no outputs to give
│   ├── JobNotFinishedError      PENDING, STARTED or RETRY
│   └── JobFailedError           FAILURE or CANCELLED, with the server's error message
├── TableQueryError              a table query gave no rows: FAILURE or REVOKED, with the server's
│   │                            error text (a SQL error, say)
│   └── TableQueryNotFinishedError  still PENDING, STARTED or RETRY when the wait ended
└── TruncatedResultError         a table query's rows are not all of them (`truncated`), where all
                                 were needed

Bad input is a `ValueError` raised before any request.

Every error carries `status_code`, `message` (the server's words where it sent any), `request_id` (the
`X-Request-ID` header) and `agent_job_id`, each `None` where it does not apply. The API key is never
part of an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, Unpack

if TYPE_CHECKING:
    from langchain_roe._core._models import AgentJobStatus, AgentJobStatusCode


class ErrorContext(TypedDict, total=False):
    """Where an error happened, as every `RoeError` takes it (see `RoeError`'s attributes)."""

    status_code: int | None
    request_id: str | None
    agent_job_id: str | None


class RoeError(Exception):
    """Base class of every error about the Roe API.

    Attributes:
        message: What went wrong, in the server's words where it sent any.
        status_code: The HTTP status of the answer that caused the error, if there was one.
        request_id: The server's `X-Request-ID` for that answer, if it sent one.
        agent_job_id: The agent job the call was about, if it was about one.
        created_job_ids: The jobs a run had already created when it failed, by input position
            (a many-inputs run failing on a later chunk); empty when it created none. Starting
            those inputs again would start their jobs twice.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        agent_job_id: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.agent_job_id = agent_job_id
        self.created_job_ids: dict[int, str] = {}
        super().__init__(message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.agent_job_id is not None:
            parts.append(f"agent_job_id={self.agent_job_id}")
        if self.status_code is not None:
            parts.append(f"status={self.status_code}")
        if self.request_id is not None:
            parts.append(f"request_id={self.request_id}")
        return " | ".join(parts)

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructors defeat Exception's default pickling; rebuild from the state.
        return (_rebuild, (type(self), self.__dict__.copy()))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status_code={self.status_code!r}, "
            f"request_id={self.request_id!r}, agent_job_id={self.agent_job_id!r})"
        )


def _rebuild(cls: type[RoeError], state: dict[str, object]) -> RoeError:
    error = cls.__new__(cls)
    Exception.__init__(error, state["message"])
    error.__dict__.update(state)
    return error


class InvalidAgentJobIdError(RoeError, ValueError):
    """An agent job id that is not a UUID; raised before any request, quoting the value."""


class InvalidReferenceError(RoeError, ValueError):
    """A reference that cannot be asked for, raised before any request.

    Not a resource id, another job's, or a URL off the configured API host (scheme, host and
    port): the key goes nowhere else.
    """


class ConfigurationError(RoeError, ValueError):
    """A setting is missing or invalid; raised before any request is sent."""


class APIConnectionError(RoeError):
    """The request got no answer: the connection could not be made or was dropped.

    Attributes:
        request_sent: False when the connection was never made, so the server cannot have acted;
            True when it may have (the request may have left before the connection dropped).
    """

    def __init__(
        self,
        message: str,
        *,
        request_sent: bool = True,
        **where: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **where)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The request got no answer within the configured timeout."""


class APIStatusError(RoeError):
    """The server answered with a 4xx or 5xx status.

    Attributes:
        body: The parsed JSON body of the answer, or its text when it was not JSON.
        retry_after: Seconds the server asked to wait before trying again, if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        body: object = None,
        retry_after: float | None = None,
        **where: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **where)
        self.body = body
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    """400: the request's content was refused, such as a run missing an input; `message` says why."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not read this job (or the organization lacks the agents feature)."""


class NotFoundError(APIStatusError):
    """404: no such job for this key and organization, or an id missing from a batch answer."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` says how long the server asked to wait."""


class ServerError(APIStatusError):
    """5xx: the server or a gateway in front of it failed."""


class InvalidResponseError(RoeError):
    """A successful answer whose body is not what the API spec describes."""


class ResponseTooLargeError(InvalidResponseError):
    """An answer body past its cap (`max_response_bytes`; a reference's `max_reference_bytes`).

    Asking again would not shrink it, so it is not retried.
    """


class RunOutcomeUnknownError(RoeError):
    """A request that starts jobs failed in a way that leaves unknown whether the jobs were created.

    It is not retried: a repeat could start (and bill) the jobs twice. Check the agent's jobs in the
    Roe UI (or list them) before starting these inputs again.

    Attributes:
        input_indexes: The positions, in the inputs given, whose jobs may or may not exist.
        created_job_ids: Jobs this call did create before the failure, by input position.
    """

    def __init__(
        self,
        message: str,
        *,
        input_indexes: range,
        created_job_ids: dict[int, str],
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id)
        self.input_indexes = input_indexes
        self.created_job_ids = created_job_ids


class JobStateError(RoeError):
    """The job exists but has no outputs to give.

    Attributes:
        status: The job's status when it was asked.
    """

    def __init__(
        self,
        message: str,
        *,
        status: AgentJobStatusCode,
        **where: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **where)
        self.status = status


class JobNotFinishedError(JobStateError):
    """The job is still PENDING, STARTED or RETRY; ask again later or wait for it."""


class JobFailedError(JobStateError):
    """The job ended in FAILURE or CANCELLED.

    Attributes:
        error_message: The server's explanation, when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: AgentJobStatusCode,
        error_message: str | None = None,
        **where: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, status=status, **where)
        self.error_message = error_message


class TableQueryError(RoeError):
    """A Roe table query ended without rows: FAILURE (a SQL error, say) or REVOKED.

    Attributes:
        table_query_id: The query's id, as the server gave it.
        status: The query's state, as the server named it (`FAILURE`, `REVOKED`, ...).
        error_message: The server's explanation (its `error`), when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        table_query_id: str | None = None,
        status: str | None = None,
        error_message: str | None = None,
        **where: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **where)
        self.table_query_id = table_query_id
        self.status = status
        self.error_message = error_message

    def __str__(self) -> str:
        text = super().__str__()
        return (
            text
            if self.table_query_id is None
            else f"{text} | table_query_id={self.table_query_id}"
        )


class TableQueryNotFinishedError(TableQueryError):
    """A table query was still running (PENDING, STARTED or RETRY) when the wait for it ended.

    Its result may still come: `RoeClient.get_table_query_result` with `table_query_id` reads it.
    """


class TruncatedResultError(RoeError):
    """A table query's rows are not the whole answer, and the caller needed the whole answer.

    The result was `truncated`: it hit the row limit or the server's byte cap, or a cell was cut
    short (or the server did not say it was not).

    Attributes:
        table_query_id: The query's id.
        row_count: How many rows came back.
    """

    def __init__(
        self,
        message: str,
        *,
        table_query_id: str | None = None,
        row_count: int | None = None,
        **where: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **where)
        self.table_query_id = table_query_id
        self.row_count = row_count


# What a job's status means for its outputs: the error that stops them being read.


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


# Who gets which error: the one policy every surface follows (the README's "Who gets which error"
# table, pinned by tests/unit_tests/test_error_policy.py). Whether a failed call is sent again is
# the retry policy's (`_retry.is_retryable`); `refused` below is its complement for actions.

#: The set-up is wrong (the key, a setting, the key's permissions or credits): no other job and no
#: later call can succeed, so every surface raises it to the developer, a loader told to continue
#: on failure and a tool talking to a model included.
SETUP_ERRORS = (AuthenticationError, PermissionDeniedError, ConfigurationError)

#: Failures about one job only (its state, its absence, its answer): the retriever skips such a
#: job and answers with the others; anything else fails the whole query.
_ONE_JOBS_ERRORS = (NotFoundError, JobStateError, InvalidResponseError)


def is_setup_error(error: BaseException) -> bool:
    """Whether `error` says the set-up is wrong: raised by every surface, never skipped."""
    return isinstance(error, SETUP_ERRORS)


def is_one_jobs_failure(error: BaseException) -> bool:
    """Whether `error` is about one job alone, not about the call or the service.

    The job failed, is still running, is missing, or its answer is unreadable.
    """
    return isinstance(error, _ONE_JOBS_ERRORS)


def is_for_the_model(error: BaseException, *, the_model_chose_the_id: bool = True) -> bool:
    """Whether a tool shows `error` to the model (an error ToolMessage) instead of raising it.

    Everything but a set-up error, since the model can act on it (another id, later, other inputs).
    A missing agent is the developer's too: the model does not choose which agent a run tool runs
    (`the_model_chose_the_id=False`), so a 404 there is a wrong tool, not a wrong argument.
    """
    if is_setup_error(error):
        return False
    return the_model_chose_the_id or not isinstance(error, NotFoundError)


def refused(error: BaseException, *, retryable: bool) -> bool:
    """Whether the server answered an action with a 4xx that says it did not act.

    `retryable` is the retry policy's verdict on `error`: a retryable 4xx (408, 429) was never a
    refusal, it was retried; past its retries it is as unknown as a timeout.
    """
    status = error.status_code if isinstance(error, APIStatusError) else None
    return status is not None and 400 <= status < 500 and not retryable
