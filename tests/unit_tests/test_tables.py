"""Roe tables on the client: what each call sends, what is retried, what each answer means."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_roe import (
    APIConnectionError,
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    RoeError,
    ServerError,
    TableQueryError,
    TableQueryNotFinishedError,
    TableQueryResult,
    TableQueryStatus,
)
from langchain_roe._core._flow import drive
from langchain_roe._core._tables import query_call, query_flow
from tests.conftest import Invoke
from tests.support.mock_api import Script, json_response, mock_client

QUERY_ID = "7d5a0c1e-2b3f-4a6d-9e8c-1f0a2b3c4d5e"
COLUMNS = [{"name": "company", "type": "String"}, {"name": "revenue", "type": "Float64"}]
SUBMITTED = {"table_query_id": QUERY_ID, "status": "PENDING", "created_at": "2026-01-05T10:00:00Z"}
ROWS = [{"company": "Acme", "revenue": 12.5}, {"company": "Globex", "revenue": 0.0}]
SUCCESS = {
    "table_query_id": QUERY_ID,
    "status": "SUCCESS",
    "error": None,
    "columns": COLUMNS,
    "rows": ROWS,
    "row_count": 2,
    "truncated": False,
    "execution_time_ms": 4.2,
}
SENT_THEN_DROPPED = httpx.ReadError("the connection dropped after the request was sent")
NEVER_SENT = httpx.ConnectError("connection refused")


def paths(script: Script) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in script.requests]


def state(status: str, **fields: Any) -> httpx.Response:
    return json_response(200, {"table_query_id": QUERY_ID, "status": status, **fields})


# Listing, describing, previewing ---------------------------------------------------------------


def test_list_tables_answers_each_table_with_its_columns(invoke: Invoke) -> None:
    body = {
        "results": [{"name": "companies", "columns": COLUMNS, "engine": "MergeTree"}],
        "total": 1,
    }
    script = Script([json_response(200, body)])
    tables = invoke(mock_client(script).list_tables)
    assert [t.name for t in tables] == ["companies"]
    assert [(c.name, c.type) for c in tables[0].columns] == [
        ("company", "String"),
        ("revenue", "Float64"),
    ]
    assert tables[0].model_extra == {"engine": "MergeTree"}  # a field the server adds is kept
    assert paths(script) == ["GET /v1/tables/"]


def test_describe_table_encodes_the_name_and_reads_an_unknown_row_count(invoke: Invoke) -> None:
    body = {"table_name": "q3 sales/eu", "columns": COLUMNS, "row_count": None, "updated_at": None}
    script = Script([json_response(200, body)])
    description = invoke(mock_client(script).describe_table, "q3 sales/eu")
    assert description.row_count is None
    assert description.updated_at is None
    assert script.requests[0].url.raw_path == b"/v1/tables/q3%20sales%2Feu/describe/"


@pytest.mark.parametrize(("limit", "sent"), [(None, "3"), (0, "0"), (50, "50")])
def test_preview_table_asks_for_its_limit(invoke: Invoke, limit: int | None, sent: str) -> None:
    body = {"table_name": "companies", "columns": COLUMNS, "rows": ROWS[:1], "row_count": 1}
    script = Script([json_response(200, body)])
    options = {} if limit is None else {"limit": limit}
    preview = invoke(mock_client(script).preview_table, "companies", **options)
    assert preview.rows == ROWS[:1]
    assert script.requests[0].url.params["limit"] == sent
    assert paths(script) == ["GET /v1/tables/companies/preview/"]


def test_reads_are_retried(invoke: Invoke) -> None:
    body = {"results": [], "total": 0}
    script = Script([SENT_THEN_DROPPED, json_response(503, {}), json_response(200, body)])
    assert invoke(mock_client(script).list_tables) == []
    assert len(script.requests) == 3


def test_a_missing_table_is_not_found_with_the_servers_message(invoke: Invoke) -> None:
    script = Script([json_response(404, {"detail": "Table not found"})])
    with pytest.raises(NotFoundError, match="Table not found"):
        invoke(mock_client(script).describe_table, "nope")
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["Invalid table name: 'a b'."], "Invalid table name: 'a b'."),
        ({"limit": ["Ensure this value is less than or equal to 50."]}, "less than or equal"),
    ],
)
def test_a_400_body_as_a_bare_list_or_a_field_map_gives_its_message(
    invoke: Invoke, body: Any, message: str
) -> None:
    script = Script([json_response(400, body)])
    with pytest.raises(BadRequestError, match=message):
        invoke(mock_client(script).preview_table, "a b")


# Bad input is refused before any request ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "match"),
    [
        ("describe_table", [""], {}, "table_name must be a non-empty string"),
        ("describe_table", ["   "], {}, "table_name must be a non-empty string"),
        ("describe_table", ["x" * 129], {}, "at most 128 characters"),
        ("describe_table", [None], {}, "table_name must be a non-empty string"),
        ("preview_table", ["t"], {"limit": 51}, "limit must be a whole number between 0 and 50"),
        ("preview_table", ["t"], {"limit": -1}, "between 0 and 50"),
        ("preview_table", ["t"], {"limit": True}, "between 0 and 50"),
        ("delete_table", [""], {}, "table_name"),
        ("query_table", [""], {}, "sql must be a non-empty string"),
        ("query_table", ["x" * 65_537], {}, "at most 65,536 characters"),
        ("query_table", ["SELECT 1"], {"limit": 0}, "between 1 and 1000"),
        ("query_table", ["SELECT 1"], {"limit": 1001}, "between 1 and 1000"),
        ("query_table", ["SELECT 1"], {"limit": 2.5}, "between 1 and 1000"),
        ("query_table", ["SELECT 1"], {"wait_timeout": 0}, "wait_timeout"),
        ("get_table_query_result", [""], {}, "table_query_id must be a UUID"),
        ("get_table_query_result", ["../../agents"], {}, "table_query_id must be a UUID"),
        ("upload_table", ["t", "a,b\n1,2\n"], {}, "csv must be a pathlib.Path, bytes"),
        ("upload_table", ["t", io.StringIO("a\n")], {}, "binary mode"),
        ("upload_table", ["t", Path("/no/such.csv")], {}, "cannot read"),
        ("upload_table", ["t", b"a\n"], {"with_headers": "yes"}, "with_headers"),
        ("upload_table", ["", b"a\n"], {}, "table_name"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    invoke: Invoke, method: str, args: list[Any], kwargs: dict[str, Any], match: str
) -> None:
    script = Script([json_response(200, {})])
    client = mock_client(script)
    with pytest.raises(ValueError, match=match):
        invoke(getattr(client, method), *args, **kwargs)
    assert script.requests == []


def test_a_longest_name_and_a_longest_query_are_sent(invoke: Invoke) -> None:
    body = {"table_name": "x" * 128, "columns": [], "row_count": 0, "updated_at": None}
    script = Script([json_response(200, body)])
    invoke(mock_client(script).describe_table, "x" * 128)
    script = Script([json_response(202, SUBMITTED), json_response(200, SUCCESS)])
    invoke(mock_client(script).query_table, "x" * 65_536, limit=1)
    assert json.loads(script.requests[0].content) == {"sql": "x" * 65_536, "limit": 1}


# Querying ------------------------------------------------------------------------------------------


def test_a_query_is_submitted_then_its_result_read(invoke: Invoke) -> None:
    script = Script([json_response(202, SUBMITTED), json_response(200, SUCCESS)])
    result = invoke(mock_client(script).query_table, "SELECT * FROM companies", limit=10)
    assert isinstance(result, TableQueryResult)
    assert result.rows == ROWS
    assert result.column_names == ["company", "revenue"]
    assert result.complete
    assert paths(script) == ["POST /v1/tables/query/", f"GET /v1/tables/query/{QUERY_ID}/result/"]
    assert json.loads(script.requests[0].content) == {"sql": "SELECT * FROM companies", "limit": 10}


def test_a_slow_query_is_polled_with_backoff_until_it_ends(
    invoke: Invoke, retry_sleeps: list[float]
) -> None:
    script = Script(
        [
            json_response(202, SUBMITTED),
            state("PENDING"),
            state("STARTED"),
            state("RETRY"),
            json_response(200, SUCCESS),
        ]
    )
    result = invoke(mock_client(script).query_table, "SELECT 1")
    assert result.status is TableQueryStatus.SUCCESS
    assert len(script.requests) == 5
    assert len(retry_sleeps) == 3  # one backoff step between polls, none before the first
    assert all(0 < delay < 1.1 for delay in retry_sleeps)  # the first steps of the backoff


@pytest.mark.parametrize("status", ["FAILURE", "REVOKED"])
def test_a_failed_or_revoked_query_is_a_typed_error_with_the_servers_text(
    invoke: Invoke, status: str
) -> None:
    error = "Code: 47. DB::Exception: Missing columns: 'revnue'" if status == "FAILURE" else None
    script = Script([json_response(202, SUBMITTED), state(status, error=error)])
    with pytest.raises(TableQueryError) as raised:
        invoke(mock_client(script).query_table, "SELECT revnue FROM companies")
    assert raised.value.table_query_id == QUERY_ID
    assert raised.value.status == status
    assert raised.value.error_message == error
    assert isinstance(raised.value, RoeError)
    assert not isinstance(raised.value, TableQueryNotFinishedError)
    assert status in str(raised.value)
    assert QUERY_ID in str(raised.value)
    if error:
        assert error in str(raised.value)


def test_a_query_that_outlasts_its_wait_is_not_finished_with_its_id(
    invoke: Invoke, retry_sleeps: list[float]
) -> None:
    script = Script([json_response(202, SUBMITTED), state("STARTED")])
    with pytest.raises(
        TableQueryNotFinishedError, match="wait_timeout=3s: it is STARTED"
    ) as raised:
        invoke(mock_client(script).query_table, "SELECT 1", wait_timeout=3)
    assert raised.value.table_query_id == QUERY_ID
    assert sum(retry_sleeps) == pytest.approx(3.0)  # the wait stops at its deadline, not past it
    assert isinstance(raised.value, TableQueryError)


def test_a_truncated_result_says_it_is_not_complete(invoke: Invoke) -> None:
    truncated = {**SUCCESS, "truncated": True}
    script = Script([json_response(202, SUBMITTED), json_response(200, truncated)])
    assert not invoke(mock_client(script).query_table, "SELECT 1").complete


def test_a_result_that_does_not_say_whether_it_is_truncated_is_not_complete(
    invoke: Invoke,
) -> None:
    silent = {k: v for k, v in SUCCESS.items() if k != "truncated"}
    script = Script([json_response(202, SUBMITTED), json_response(200, silent)])
    result = invoke(mock_client(script).query_table, "SELECT 1")
    assert result.truncated is None
    assert not result.complete


def test_a_state_this_release_does_not_know_is_polled_as_unfinished(invoke: Invoke) -> None:
    script = Script([json_response(202, SUBMITTED), state("QUEUED"), json_response(200, SUCCESS)])
    assert invoke(mock_client(script).query_table, "SELECT 1").complete
    assert len(script.requests) == 3


@pytest.mark.parametrize("failure", [SENT_THEN_DROPPED, lambda _: json_response(503, {})])
def test_a_submission_is_retried_as_a_read(invoke: Invoke, failure: Any) -> None:
    """The SQL is read-only: a repeat runs the same read again and changes no data."""
    script = Script([failure, json_response(202, SUBMITTED), json_response(200, SUCCESS)])
    assert invoke(mock_client(script).query_table, "SELECT 1").complete
    assert paths(script)[:2] == ["POST /v1/tables/query/"] * 2


def test_a_refused_submission_gives_the_servers_field_message(invoke: Invoke) -> None:
    body = {"sql": ["Only SELECT queries are allowed."]}
    script = Script([json_response(400, body)])
    with pytest.raises(BadRequestError, match="Only SELECT queries are allowed"):
        invoke(mock_client(script).query_table, "DROP TABLE companies")
    assert len(script.requests) == 1


def test_a_result_without_its_state_is_an_invalid_response(invoke: Invoke) -> None:
    script = Script([json_response(202, SUBMITTED), json_response(200, {"rows": []})])
    with pytest.raises(InvalidResponseError, match="status"):
        invoke(mock_client(script, max_retries=0).query_table, "SELECT 1")


def test_a_submission_without_a_query_id_is_an_invalid_response(invoke: Invoke) -> None:
    script = Script([json_response(202, {**SUBMITTED, "table_query_id": "../x"})])
    with pytest.raises(InvalidResponseError, match="holds no query id"):
        invoke(mock_client(script).query_table, "SELECT 1")
    assert len(script.requests) == 1


def test_get_table_query_result_returns_any_state_as_it_is(invoke: Invoke) -> None:
    script = Script([state("FAILURE", error="Syntax error")])
    result = invoke(mock_client(script).get_table_query_result, QUERY_ID)
    assert result.status is TableQueryStatus.FAILURE
    assert result.error == "Syntax error"
    assert paths(script) == [f"GET /v1/tables/query/{QUERY_ID}/result/"]


def test_a_wait_reports_each_change_of_state() -> None:
    answers = iter(
        [
            SUBMITTED,
            {"table_query_id": QUERY_ID, "status": "PENDING"},
            {"table_query_id": QUERY_ID, "status": "STARTED"},
            SUCCESS,
        ]
    )

    def send(call: Any) -> Any:
        return call.decode(json.dumps(next(answers)).encode(), None)

    events: list[dict[str, Any]] = []
    drive(query_flow(query_call("SELECT 1")), send, events.append)
    assert [e["status"] for e in events] == ["PENDING", "STARTED", "SUCCESS"]
    assert {e["table_query_id"] for e in events} == {QUERY_ID}
    assert {e["event"] for e in events} == {"roe_table_query_status"}


# Uploading and deleting -----------------------------------------------------------------------------

UPLOADED = {
    "table_name": "companies",
    "organization_id": "11111111-2222-4333-8444-555555555555",
    "summary": {"written_rows": 2},
}


def _parts(request: httpx.Request) -> dict[str, Any]:
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode() + request.content
    )
    found: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        found[str(name)] = (part.get_filename(), part.get_payload(decode=True))
    return found


@pytest.mark.parametrize("given", ["path", "bytes", "file"])
def test_an_upload_sends_the_csv_and_its_fields(invoke: Invoke, tmp_path: Path, given: str) -> None:
    content = b"company,revenue\nAcme,12.5\nGlobex,0.0\n"
    csv_path = tmp_path / "companies.csv"
    csv_path.write_bytes(content)
    csv: Any = {"path": csv_path, "bytes": content, "file": csv_path.open("rb")}[given]
    script = Script([json_response(201, UPLOADED)])
    upload = invoke(mock_client(script).upload_table, "companies", csv, with_headers=False)
    assert upload.table_name == "companies"
    assert upload.summary == {"written_rows": 2}
    parts = _parts(script.requests[0])
    assert parts["file"] == ("companies.csv", content)
    assert parts["table_name"] == (None, b"companies")
    assert parts["with_headers"] == (None, b"false")
    assert paths(script) == ["POST /v1/tables/upload/"]


@pytest.mark.parametrize("method", ["upload_table", "delete_table"])
@pytest.mark.parametrize(
    "failure",
    [SENT_THEN_DROPPED, lambda _: json_response(503, {}), lambda _: json_response(500, {})],
)
def test_an_upload_or_delete_that_may_have_acted_is_never_repeated(
    invoke: Invoke, method: str, failure: Any
) -> None:
    script = Script([failure, json_response(201, UPLOADED), httpx.Response(204)])
    args = ["companies", b"a\n1\n"] if method == "upload_table" else ["companies"]
    with pytest.raises((APIConnectionError, ServerError)):
        invoke(getattr(mock_client(script), method), *args)
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [NEVER_SENT, lambda _: json_response(429, {}, **{"Retry-After": "0"})],
)
def test_an_upload_the_server_provably_did_not_act_on_is_retried(
    invoke: Invoke, failure: Any
) -> None:
    script = Script([failure, json_response(201, UPLOADED)])
    assert (
        invoke(mock_client(script).upload_table, "companies", b"a\n1\n").table_name == "companies"
    )
    parts = [_parts(r)["file"] for r in script.requests[1:]]
    assert parts == [("companies.csv", b"a\n1\n")]  # the same bytes sent again


def test_a_duplicate_upload_is_the_servers_refusal(invoke: Invoke) -> None:
    script = Script([json_response(400, ["Table 'companies' already exists."])])
    with pytest.raises(BadRequestError, match="already exists"):
        invoke(mock_client(script).upload_table, "companies", b"a\n1\n")


def test_delete_table_is_one_delete_answered_204(invoke: Invoke) -> None:
    script = Script([httpx.Response(204)])
    assert invoke(mock_client(script).delete_table, "old sales") is None
    assert paths(script) == ["DELETE /v1/tables/old sales/"]
    assert script.requests[0].url.raw_path == b"/v1/tables/old%20sales/"
    script = Script([json_response(404, {"detail": "Table not found"})])
    with pytest.raises(NotFoundError):
        invoke(mock_client(script).delete_table, "old sales")


@pytest.mark.parametrize(
    ("name", "raw"), [(".", b"/v1/tables/%2E/"), ("..", b"/v1/tables/%2E%2E/")]
)
def test_a_dot_segment_name_stays_inside_its_own_path(
    invoke: Invoke, name: str, raw: bytes
) -> None:
    # Left as "." or "..", httpx removes the dot segment: deleting ".." would send DELETE /v1/.
    script = Script([httpx.Response(204)])
    invoke(mock_client(script).delete_table, name)
    assert script.requests[0].url.raw_path == raw


def test_the_table_errors_travel_with_what_they_carry() -> None:
    import pickle

    from langchain_roe import TruncatedResultError

    failed = TableQueryError(
        "the table query ended in FAILURE: bad",
        table_query_id=QUERY_ID,
        status="FAILURE",
        error_message="bad",
    )
    again = pickle.loads(pickle.dumps(failed))
    assert (again.table_query_id, again.status, again.error_message) == (QUERY_ID, "FAILURE", "bad")
    assert str(again) == str(failed)
    cut = pickle.loads(
        pickle.dumps(TruncatedResultError("cut", table_query_id=QUERY_ID, row_count=3))
    )
    assert (cut.table_query_id, cut.row_count) == (QUERY_ID, 3)
