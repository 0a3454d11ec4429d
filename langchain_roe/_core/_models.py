"""Pydantic models of the Roe API's wire format: agent jobs, agents, and Roe tables.

They accept everything the official spec allows (nulls, missing optional fields) and keep fields a
newer server adds, so an API release does not break a deployed client.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidatorFunctionWrapHandler
from pydantic.functional_validators import WrapValidator


class AgentJobStatusCode(enum.IntEnum):
    """Status of an agent job as the API numbers it."""

    PENDING = 0
    STARTED = 1
    RETRY = 2
    SUCCESS = 3
    FAILURE = 4
    CANCELLED = 5
    CACHED = 6

    @classmethod
    def _missing_(cls, value: object) -> AgentJobStatusCode | None:
        # A code this release does not know still validates, as a pseudo-member named after it.
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member

    @property
    def is_terminal(self) -> bool:
        """Whether the job has stopped running (succeeded, failed, cancelled or served from cache)."""
        return self in _TERMINAL

    @property
    def succeeded(self) -> bool:
        """Whether the job produced outputs (SUCCESS or CACHED)."""
        return self in _SUCCEEDED


def status_code(value: int | None) -> AgentJobStatusCode | None:
    """A status as the wire numbers it, as an `AgentJobStatusCode` (unknown codes included)."""
    if value is None:
        return None
    return _BY_VALUE.get(value) or AgentJobStatusCode(value)


#: The known codes by value: a dict lookup, where calling the enum costs a few microseconds.
_BY_VALUE: dict[int, AgentJobStatusCode] = {code.value: code for code in AgentJobStatusCode}


_TERMINAL = frozenset(
    {
        AgentJobStatusCode.SUCCESS,
        AgentJobStatusCode.FAILURE,
        AgentJobStatusCode.CANCELLED,
        AgentJobStatusCode.CACHED,
    }
)
_SUCCEEDED = frozenset({AgentJobStatusCode.SUCCESS, AgentJobStatusCode.CACHED})


class _WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


def _none_if_unreadable(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


#: A job-level fact the outputs do not depend on: a value of the wrong type reads as unknown
#: (None) instead of making the job's outputs unreadable.
_T = TypeVar("_T")
Informational = Annotated[_T | None, WrapValidator(_none_if_unreadable)]


class AgentDatum(_WireModel):
    """One input or output value of an agent job."""

    key: str
    """Name of the output, as the agent defines it."""
    data_type: str
    """MIME type of `value`, such as `application/json` or `text/plain`."""
    value: str
    """The value serialised as a string; JSON outputs are a JSON document inside this string."""
    description: str | None = None
    """Human description of the output; may be missing, null or empty."""
    cost: float | None = None
    """Cost the API reports with this output, when it reports one."""


class AgentJobResult(_WireModel):
    """Body of `GET /v1/agents/jobs/{agent_job_id}/result/`.

    Only `outputs` must be present and well formed; the job-level facts around it are read as None
    when missing or of the wrong type.
    """

    agent_id: Informational[str] = None
    """Id of the agent that ran the job."""
    agent_version_id: Informational[str] = None
    """Id of the agent version that ran the job."""
    inputs: Any = None
    """The inputs the job was given as the server sent them: usually a list of objects with
    `key`, `value` and `data_type`, never checked (nothing here reads them)."""
    input_tokens: Informational[int] = None
    """Input tokens the job used."""
    output_tokens: Informational[int] = None
    """Output tokens the job produced."""
    outputs: list[AgentDatum]
    """The job's outputs (required: an answer without them is an `InvalidResponseError`)."""


class AgentJobResultItem(_WireModel):
    """One element of the answer of `POST /v1/agents/jobs/results/`."""

    id: str
    """The agent job id."""
    status: AgentJobStatusCode | None = None
    """The job's status; null for an id the server does not know."""
    result: list[AgentDatum] | str | int | float | dict[str, Any] | None = None
    """The job's outputs; null, or an error code, for a job without outputs."""
    corrected_outputs: list[AgentDatum] | None = None
    """Outputs as corrected by a human reviewer, when there are any."""
    agent_id: Informational[str] = None
    """Id of the agent; null for failed, cancelled, unknown or deleted jobs."""
    agent_version_id: Informational[str] = None
    """Id of the agent version; null when `agent_id` is."""
    cost: Informational[float] = None
    """Cost of the whole job."""
    inputs: Any = None
    """The inputs the job was given, as the server sent them (never checked)."""
    input_tokens: Informational[int] = None
    """Input tokens the job used."""
    output_tokens: Informational[int] = None
    """Output tokens the job produced."""


class AgentJobStatus(_WireModel):
    """Body of `GET /v1/agents/jobs/{agent_job_id}/status/`."""

    status: AgentJobStatusCode
    """The job's status."""
    timestamp: Informational[float] = None
    """Unix time of the latest status event."""
    error_message: str | None = None
    """Why the job is retrying or failed; only sent with RETRY and FAILURE."""


class AgentJobStatusItem(_WireModel):
    """One element of the answer of `POST /v1/agents/jobs/statuses/`."""

    id: str
    """The agent job id."""
    status: AgentJobStatusCode | None = None
    """The job's status; null for an id the server does not know."""
    created_at: Informational[str] = None
    """When the job was created (ISO 8601)."""
    last_updated_at: Informational[str] = None
    """When the job last changed (ISO 8601)."""
    timestamp: Informational[float] = None
    """Unix time of the latest status event."""
    error_message: str | None = None
    """Why the job is retrying or failed."""


ItemT = TypeVar("ItemT")


class Page(_WireModel, Generic[ItemT]):
    """The paginated envelope older deployments wrap batch answers in."""

    count: int | None = None
    """Total number of items, when the server counts them."""
    next: str | None = None
    """URL of the next page, if any."""
    previous: str | None = None
    """URL of the previous page, if any."""
    results: list[ItemT] = Field(default_factory=list)
    """This page's items."""


class AgentInputDefinition(_WireModel):
    """One input an agent version takes (`input_definitions` of an agent version)."""

    key: str
    """The input's name: a property of the run request."""
    data_type: str
    """MIME type of the input, such as `text/plain`, `application/pdf` or `text/x-url`."""
    description: str = ""
    """What the input is, in the agent author's words."""
    example: str | None = None
    """An example value, when the author gave one."""
    accepts_multiple_files: bool | None = None
    """Whether several files may be given for this input."""


class _AboutTheAgent(_WireModel):
    """What an agent and each of its versions both say of the agent."""

    name: Informational[str] = None
    """The agent's name."""
    engine_class_id: Informational[str] = None
    """The engine the agent runs on, such as `MultimodalExtractionEngine`."""


class AgentVersion(_AboutTheAgent):
    """Body of `GET /v1/agents/{agent_id}/versions/current/` (and of one version by id)."""

    id: str
    """The version's id."""
    version_name: Informational[str] = None
    """The version's name."""
    description: Informational[str] = None
    """What the version does, in its author's words."""
    input_definitions: list[AgentInputDefinition]
    """The inputs a run of this version takes."""


class Agent(_AboutTheAgent):
    """One agent, as `GET /v1/agents/` lists them (`BaseAgent` in the spec)."""

    id: str
    """The agent's id."""
    current_version_id: Informational[str] = None
    """The version a run without a version id uses."""
    job_count: Informational[int] = None
    """How many jobs the agent has run, when the server counted them."""


class JobStatusEvent(_WireModel):
    """One change of a listed job's status (`PublicAgentJobStatusEvent` in the spec)."""

    status_code: Informational[int] = None
    """The status the job moved to, as the API numbers it."""
    timestamp: Informational[datetime] = None
    """When it moved."""
    error_message: Informational[str] = None
    """Why, for a retry or a failure (sanitised by the server)."""


class JobInput(_WireModel):
    """One input a listed job was given (`JobInput` in the spec)."""

    key: Informational[str] = None
    """The input's name."""
    data_type: Informational[str] = None
    """Its MIME type."""
    value: Informational[str] = None
    """Its value, as a string (a file's id or name for a file)."""
    description: Informational[str] = None
    """What the input is."""
    file_name: Informational[str] = None
    """The file's name, when the input is a file."""


class AgentJobSummary(_WireModel):
    """One job as `GET /v1/agents/{agent_id}/jobs/` lists it (`ListAgentJob`): no outputs.

    Only `id` must be present; every other fact reads as None (or empty) when missing or of the
    wrong type, so one odd field does not hide a job.
    """

    id: str
    """The agent job id."""
    status_code: Informational[AgentJobStatusCode] = None
    """The job's current status."""
    created_at: Informational[datetime] = None
    """When the job was created."""
    last_updated_at: Informational[datetime] = None
    """When the job last changed."""
    agent_version_name: Informational[str] = None
    """The name of the agent version that ran it."""
    duration_ms: Informational[int] = None
    """How long it ran, in milliseconds; None while it runs."""
    status_events: Informational[list[JobStatusEvent]] = None
    """Its status changes, oldest first."""
    job_inputs: Informational[list[JobInput]] = None
    """The inputs it was given."""
    metadata: Informational[dict[str, Any]] = None
    """The metadata it was started with (string values, by the spec)."""

    @property
    def status(self) -> AgentJobStatusCode | None:
        """The job's current status (`status_code`)."""
        return self.status_code

    @property
    def error_message(self) -> str | None:
        """The last status event's error message, if it has one."""
        events = self.status_events or []
        return events[-1].error_message if events else None


class JobDataDeletion(_WireModel):
    """Body of `POST /v1/agents/jobs/{job_id}/delete-data/`: what was purged of one job.

    The job's uploaded inputs, its stored outputs, steps, logs and trace, and its workflow
    artifacts are deleted; its metadata (id, status, times) stays. Only `status` must be present;
    a count of the wrong type or missing reads as None (unknown), never as zero.
    """

    status: str
    """`success`, or `partial_success` when something could not be deleted (see `errors`)."""
    deleted_count: Informational[int] = None
    """Uploaded input files deleted."""
    failed_count: Informational[int] = None
    """Uploaded input files that could not be deleted."""
    artifacts_deleted_count: Informational[int] = None
    """Workflow artifacts deleted."""
    artifacts_failed_count: Informational[int] = None
    """Workflow artifacts that could not be deleted."""
    blob_sanitized: Informational[bool] = None
    """Whether the stored outputs, steps, logs and trace were sanitised."""
    errors: Informational[list[str]] = None
    """What went wrong, in the server's words; None when nothing did."""

    @property
    def complete(self) -> bool:
        """Whether the server says everything was deleted: `success`, nothing failed, no errors."""
        return (
            self.status == "success"
            and not self.failed_count
            and not self.artifacts_failed_count
            and self.blob_sanitized is not False
            and not self.errors
        )


class AgentJobCancelAll(_WireModel):
    """Body of `POST /v1/agents/{agent_id}/jobs/cancel-all/`."""

    targeted_count: int
    """How many of the agent's running jobs the cancellation targets."""
    note: Informational[str] = None
    """The server's note on what it did."""
    task_id: Informational[str] = None
    """The server's task carrying the cancellations out, when it names one."""


# Roe tables ---------------------------------------------------------------------------------------


class TableQueryStatus(enum.StrEnum):
    """The state of a Roe table query, as the API names it."""

    PENDING = "PENDING"
    STARTED = "STARTED"
    RETRY = "RETRY"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    REVOKED = "REVOKED"

    @classmethod
    def _missing_(cls, value: object) -> TableQueryStatus | None:
        # A state this release does not know still validates, as a pseudo-member named after it;
        # it is not finished, so a wait goes on polling until its deadline.
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_terminal(self) -> bool:
        """Whether the query has stopped: SUCCESS, FAILURE or REVOKED."""
        return self in _QUERY_TERMINAL


_QUERY_TERMINAL = frozenset(
    {TableQueryStatus.SUCCESS, TableQueryStatus.FAILURE, TableQueryStatus.REVOKED}
)


class TableColumn(_WireModel):
    """One column of a Roe table."""

    name: str
    """The column's name."""
    type: str
    """Its ClickHouse type, such as `String`, `UInt64` or `Nullable(Float64)`."""


class Table(_WireModel):
    """A Roe table and its columns (an item of `GET /v1/tables/`)."""

    name: str
    """The table's name, as SQL names it."""
    columns: list[TableColumn]
    """Its columns, in order."""


class TableList(_WireModel):
    """Body of `GET /v1/tables/`."""

    results: list[Table]
    """The organization's tables."""
    total: Informational[int] = None
    """How many tables the server says there are."""


class TableDescription(_WireModel):
    """Body of `GET /v1/tables/{table_name}/describe/`: a table's columns and cheap metadata."""

    table_name: str
    """The table's name."""
    columns: list[TableColumn]
    """Its columns, in order."""
    row_count: Informational[int] = None
    """Its rows, when the server can tell without scanning the table; None when it cannot."""
    updated_at: Informational[datetime] = None
    """When its metadata last changed, when known."""


class TablePreview(_WireModel):
    """Body of `GET /v1/tables/{table_name}/preview/`: a table's columns and a few of its rows."""

    table_name: str
    """The table's name."""
    columns: list[TableColumn]
    """Its columns, in order."""
    rows: list[dict[str, Any]]
    """Sample rows keyed by column name (none when asked for `limit=0`)."""
    row_count: Informational[int] = None
    """How many sample rows came back (not the table's size)."""


class TableQuerySubmission(_WireModel):
    """Body of the `202` to `POST /v1/tables/query/`: the query was accepted."""

    table_query_id: str
    """The query's id, to ask for its result with."""
    status: TableQueryStatus
    """Its state when accepted."""
    created_at: Informational[datetime] = None
    """When it was accepted."""


class TableQueryResult(_WireModel):
    """Body of `GET /v1/tables/query/{table_query_id}/result/`: a query's state and its rows.

    Rows are complete only when `truncated` is False: check `complete` before treating them as
    the whole answer.
    """

    table_query_id: str
    """The query's id."""
    status: TableQueryStatus
    """Its state; rows come with SUCCESS, the server's `error` with FAILURE."""
    error: str | None = None
    """Why the query failed, in the server's words (a SQL error's text)."""
    columns: list[dict[str, Any]] = Field(default_factory=list)
    """The result's columns as the server describes them (each with its `name` and `type`)."""
    rows: list[dict[str, Any]] = Field(default_factory=list)
    """Rows keyed by column name. In a truncated result an oversized cell may be a shortened
    string whatever its ClickHouse type."""
    row_count: Informational[int] = None
    """How many rows came back."""
    truncated: Informational[bool] = None
    """True when the result hit the row limit or the server's byte cap, or a cell was shortened;
    None when the server did not say (read as possibly truncated)."""
    execution_time_ms: Informational[float] = None
    """How long the query ran, in milliseconds."""

    @property
    def complete(self) -> bool:
        """Whether the rows are the whole answer: the server said `truncated` is false."""
        return self.truncated is False

    @property
    def column_names(self) -> list[str]:
        """The result's column names in order: from `columns`, else from the rows' keys."""
        named = [c["name"] for c in self.columns if isinstance(c.get("name"), str)]
        if named:
            return named
        return list(dict.fromkeys(key for row in self.rows for key in row))


class TableUpload(_WireModel):
    """Body of the `201` to `POST /v1/tables/upload/`: the table created from a CSV."""

    table_name: str
    """The table created."""
    organization_id: Informational[str] = None
    """The organization that owns it."""
    summary: Any = None
    """The server's import summary (its shape is not specified)."""
