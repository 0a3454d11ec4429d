"""Roe tables as `Call`s and flows: list, describe, preview, query (submit, then wait), upload, delete.

Every input is checked before any request: a table name is 1 to 128 characters and goes
percent-encoded into its path, SQL is 1 to 65,536 characters, a query's `limit` 1 to 1000 and a
preview's 0 to 50. Each call carries its retry rule (see `Retry`):

- **list, describe, preview, a query's result**: reads, `Retry.READ`.
- **submit a query** (`POST /v1/tables/query/`, `202`): `Retry.READ`. The SQL is read-only (the
  server runs one `SELECT` or `WITH ... SELECT`), so a repeat after a lost answer changes no data:
  it runs the same read again, and the first attempt's query is never asked for.
- **upload a CSV** (`POST /v1/tables/upload/`, multipart): `Retry.UNSENT`, repeated only where the
  server provably did not act (the connection was never made, 408, 429). A repeat after the
  server created the table would be refused as a duplicate name, hiding that the upload worked.
- **delete a table** (`DELETE /v1/tables/{table_name}/`, `204`): `Retry.UNSENT`. Deleting twice
  drops nothing more, but a repeat after a lost answer would answer 404 for the table the first
  attempt dropped, a failure for what succeeded. Any other failure is raised; the table may then
  be gone or not, and `describe_table` tells.

A query is waited for as jobs are (`_waiting.poll_delay`: backoff with jitter from about 0.5 s to
10 s) until it is SUCCESS, FAILURE or REVOKED or its deadline passes; FAILURE and REVOKED are a
`TableQueryError` carrying the server's `error` text and the query's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from langchain_roe._core import _flow
from langchain_roe._core._constants import (
    LIMIT_PARAM,
)
from langchain_roe._core._exceptions import (
    InvalidResponseError,
    RoeError,
    TableQueryError,
    TableQueryNotFinishedError,
    is_setup_error,
)
from langchain_roe._core._flow import Flow, Report, Sleep
from langchain_roe._core._formats import canonical_uuid, check_seconds, check_text, check_whole
from langchain_roe._core._http import Call, Retry, decoder, no_body
from langchain_roe._core._models import (
    Table,
    TableDescription,
    TableList,
    TablePreview,
    TableQueryResult,
    TableQueryStatus,
    TableQuerySubmission,
    TableUpload,
)
from langchain_roe._core._waiting import poll_delay

#: The tables endpoints (`openapi-tables-control.yml`).
TABLES_PATH: Final = "/v1/tables/"
"""`GET`: the organization's tables."""
TABLE_PATH: Final = TABLES_PATH + "{table_name}/"
"""`DELETE`: drop one table."""
TABLE_DESCRIBE_PATH: Final = TABLE_PATH + "describe/"
"""`GET`: a table's columns and row count."""
TABLE_PREVIEW_PATH: Final = TABLE_PATH + "preview/"
"""`GET`: a table's first rows (`limit`, 0 to 50)."""
TABLE_QUERY_PATH: Final = TABLES_PATH + "query/"
"""`POST` SQL (`202`): the query runs on the server, its id comes back."""
TABLE_QUERY_RESULT_PATH: Final = TABLE_QUERY_PATH + "{table_query_id}/result/"
"""`GET`: a query's state, and its rows once it is done."""
TABLE_UPLOAD_PATH: Final = TABLES_PATH + "upload/"
"""`POST` a CSV file (multipart) as a new table."""

#: The bodies' field names, as the spec spells them.
SQL_FIELD: Final = "sql"
"""The query a submission runs (one `SELECT`, or `WITH ... SELECT`)."""
TABLE_NAME_FIELD: Final = "table_name"
"""An upload's name for the new table."""
WITH_HEADERS_FIELD: Final = "with_headers"
"""Whether the uploaded CSV's first line names its columns."""
FILE_FIELD: Final = "file"
"""The multipart part that carries an upload's CSV, sent as `CSV_MEDIA_TYPE`."""
CSV_MEDIA_TYPE: Final = "text/csv"

MAX_TABLE_NAME_CHARS: Final = 128
"""The longest table name sent; a longer one is refused before any request."""
MAX_SQL_CHARS: Final = 65_536
"""The longest SQL sent; longer is refused before any request."""
MAX_QUERY_ROWS: Final = 1000
"""The most rows a query answers (its `limit`, 1 to 1000; the server's default is 1000)."""
MAX_PREVIEW_ROWS: Final = 50
"""The most rows a preview shows (the spec's bound on its `limit`)."""
DEFAULT_PREVIEW_ROWS: Final = 3
"""Sample rows a description shows by default."""
DEFAULT_QUERY_WAIT_TIMEOUT: Final = 300.0
"""Seconds `query_table` waits for a result by default before `TableQueryNotFinishedError`."""
TABLE_QUERY_STATUS_EVENT: Final = "roe_table_query_status"
"""Reported for each change of a table query's state while `query_table` waits for it."""


def table_path(template: str, table_name: object) -> str:
    """Fill a path template with a checked, percent-encoded table name.

    A name of "." or ".." goes as `%2E` or `%2E%2E`, never as a dot segment a URL resolves away.

    Raises:
        ValueError: The name is empty, not a string, or over 128 characters.
    """
    name = check_text("table_name", table_name, MAX_TABLE_NAME_CHARS)
    segment = quote(name, safe="")
    if name in {".", ".."}:
        # A bare dot segment would be resolved away by the URL ("/v1/tables/../" is "/v1/"),
        # sending the call to another endpoint: its dots go percent-encoded instead.
        segment = "%2E" * len(name)
    return template.format(table_name=segment)


def list_call() -> Call[TableList]:
    """`GET /v1/tables/`."""
    return Call("GET", TABLES_PATH, decoder(TableList))


def describe_call(table_name: str) -> Call[TableDescription]:
    """`GET /v1/tables/{table_name}/describe/`."""
    return Call("GET", table_path(TABLE_DESCRIBE_PATH, table_name), decoder(TableDescription))


def preview_call(table_name: str, limit: int = DEFAULT_PREVIEW_ROWS) -> Call[TablePreview]:
    """`GET /v1/tables/{table_name}/preview/?limit=N` (0 to 50 rows; 0 for the columns alone)."""
    path = table_path(TABLE_PREVIEW_PATH, table_name)
    rows = check_whole("limit", limit, 0, MAX_PREVIEW_ROWS)
    return Call("GET", path, decoder(TablePreview), params={LIMIT_PARAM: str(rows)})


def query_call(sql: str, limit: int = MAX_QUERY_ROWS) -> Call[TableQuerySubmission]:
    """`POST /v1/tables/query/` with `{sql, limit}`: retried as a read (the SQL is read-only)."""
    body = {
        SQL_FIELD: check_text("sql", sql, MAX_SQL_CHARS),
        LIMIT_PARAM: check_whole("limit", limit, 1, MAX_QUERY_ROWS),
    }
    return Call(
        "POST", TABLE_QUERY_PATH, decoder(TableQuerySubmission), body=body, retry=Retry.READ
    )


def query_result_call(table_query_id: str) -> Call[TableQueryResult]:
    """`GET /v1/tables/query/{table_query_id}/result/` (the id a UUID, as the spec has it).

    Raises:
        ValueError: `table_query_id` is not a UUID (before any request).
    """
    query_id = canonical_uuid(table_query_id, "table_query_id")
    path = TABLE_QUERY_RESULT_PATH.format(table_query_id=query_id)
    return Call("GET", path, decoder(TableQueryResult))


def upload_call(table_name: str, csv: Any, *, with_headers: bool = True) -> Call[TableUpload]:
    """`POST /v1/tables/upload/`, multipart: sent again only where the server provably did not act.

    Raises:
        ValueError: A bad name, or `csv` is not a `pathlib.Path`, bytes or a binary file object
            (a `str` is refused: it could be a path or CSV text, and neither guess is safe).
    """
    name = check_text("table_name", table_name, MAX_TABLE_NAME_CHARS)
    if not isinstance(with_headers, bool):
        msg = f"with_headers must be True or False, got {with_headers!r}"
        raise ValueError(msg)
    file_name, content = _csv_file(csv, name)
    form = {TABLE_NAME_FIELD: name, WITH_HEADERS_FIELD: "true" if with_headers else "false"}
    files = [(FILE_FIELD, (file_name, content, CSV_MEDIA_TYPE))]
    return Call(
        "POST", TABLE_UPLOAD_PATH, decoder(TableUpload), form=form, files=files, retry=Retry.UNSENT
    )


def delete_call(table_name: str) -> Call[None]:
    """`DELETE /v1/tables/{table_name}/` (`204`): sent again only where the server did not act."""
    return Call("DELETE", table_path(TABLE_PATH, table_name), no_body, retry=Retry.UNSENT)


def _csv_file(csv: Any, table_name: str) -> tuple[str, bytes]:
    """The file part's name and bytes, read before any request (a retry sends the same bytes)."""
    if isinstance(csv, Path):
        try:
            return csv.name, csv.read_bytes()
        except OSError as exc:
            msg = f"csv: cannot read {str(csv)!r}: {exc.strerror or exc}"
            raise ValueError(msg) from None
    if isinstance(csv, bytes | bytearray):
        return f"{table_name}.csv", bytes(csv)
    read = getattr(csv, "read", None)
    if not isinstance(csv, str) and callable(read):
        content = read()
        if not isinstance(content, bytes):
            msg = "csv: a file object must be opened in binary mode ('rb')"
            raise ValueError(msg)
        return Path(str(getattr(csv, "name", f"{table_name}.csv"))).name, content
    msg = (
        "csv must be a pathlib.Path, bytes or a binary file object; for CSV text in a str, pass "
        f"text.encode(); got {type(csv).__name__}"
    )
    raise ValueError(msg)


# Flows ------------------------------------------------------------------------------------------


def list_flow() -> Flow[list[Table]]:
    """The organization's tables, with their columns."""
    answer: TableList = yield list_call()
    return answer.results


def overview_flow(
    table_names: Sequence[str], sample_rows: int = DEFAULT_PREVIEW_ROWS
) -> Flow[dict[str, tuple[TableDescription, TablePreview] | RoeError]]:
    """Describe and preview each table, in order; every name is checked before any request.

    A table that cannot be read (not found, refused, the service failing) maps to its error and
    the others are still read; a set-up error (the key, its permissions) is raised.
    """
    asked = [
        (name, describe_call(name), preview_call(name, sample_rows))
        for name in dict.fromkeys(table_names)
    ]
    answers: dict[str, tuple[TableDescription, TablePreview] | RoeError] = {}
    for name, describe, preview in asked:
        try:
            description: TableDescription = yield describe
            sample: TablePreview = yield preview
        except RoeError as error:
            if is_setup_error(error):
                raise
            answers[name] = error
            continue
        answers[name] = (description, sample)
    return answers


def query_flow(
    submit: Call[TableQuerySubmission], wait_timeout: float = DEFAULT_QUERY_WAIT_TIMEOUT
) -> Flow[TableQueryResult]:
    """Submit a query, then poll its result with backoff until it ends or `wait_timeout` passes.

    The result is asked for at once (most queries end within moments), then after each backoff
    step. Each change of state is reported (`TABLE_QUERY_STATUS_EVENT`).

    Raises:
        TableQueryError: The query ended in FAILURE or REVOKED (its `error_message` the server's).
        TableQueryNotFinishedError: It had not ended when `wait_timeout` passed.
    """
    deadline = _flow.monotonic() + wait_timeout
    submitted: TableQuerySubmission = yield submit
    try:
        query_id = canonical_uuid(submitted.table_query_id, "table_query_id")
    except ValueError as exc:
        msg = f"the answer to {submit.describe()} holds no query id: {exc}"
        raise InvalidResponseError(msg) from None
    seen = submitted.status
    yield Report(query_progress(query_id, seen))
    polls = 0
    while True:
        result: TableQueryResult = yield query_result_call(query_id)
        if result.status is not seen:
            seen = result.status
            yield Report(query_progress(query_id, seen))
        if result.status.is_terminal:
            return finished(result)
        delay = min(poll_delay(polls), deadline - _flow.monotonic())
        if delay <= 0:
            msg = (
                f"the table query did not finish within wait_timeout={wait_timeout:g}s: it is "
                f"{result.status.value}"
            )
            raise TableQueryNotFinishedError(
                msg, table_query_id=query_id, status=result.status.value
            )
        yield Sleep(delay)
        polls += 1


def finished(result: TableQueryResult) -> TableQueryResult:
    """A finished query's result, or the `TableQueryError` its FAILURE or REVOKED stands for."""
    if result.status is TableQueryStatus.SUCCESS:
        return result
    reason = f": {result.error}" if result.error else ""
    raise TableQueryError(
        f"the table query ended in {result.status.value}{reason}",
        table_query_id=result.table_query_id,
        status=result.status.value,
        error_message=result.error,
    )


def query_progress(table_query_id: str, status: TableQueryStatus) -> dict[str, Any]:
    """A progress event for a query's change of state."""
    return {
        "event": TABLE_QUERY_STATUS_EVENT,
        "table_query_id": table_query_id,
        "status": status.value,
    }


def wait_seconds(wait_timeout: object) -> float:
    """`wait_timeout` checked: a positive, finite number of seconds."""
    return check_seconds("wait_timeout", wait_timeout)
