"""The table tools over scripted answers: the standard suites, the text a model reads, its errors."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_roe import (
    AuthenticationError,
    ConfigurationError,
    RoeDescribeTableTool,
    RoeListTablesTool,
    RoeQueryTableTool,
    RoeTablesToolkit,
)
from langchain_roe._convert._table_text import cell_text
from tests.support.mock_api import Script, json_response, mock_client
from tests.unit_tests.test_tables import COLUMNS, QUERY_ID, SUBMITTED, SUCCESS, state

ENV: tuple[dict[str, str], dict[str, Any], dict[str, Any]] = (
    {"ROE_API_KEY": "env-key", "ROE_TIMEOUT": "12", "ROE_MAX_RETRIES": "0"},
    {},
    {"api_key": "env-key", "timeout": 12.0, "max_retries": 0},
)


class TestRoeListTablesToolStandard(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[RoeListTablesTool]:
        return RoeListTablesTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "test-key"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ENV


class TestRoeDescribeTableToolStandard(TestRoeListTablesToolStandard):
    @property
    def tool_constructor(self) -> type[RoeDescribeTableTool]:  # type: ignore[override]
        return RoeDescribeTableTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"table_names": ["companies", "deals"]}


class TestRoeQueryTableToolStandard(TestRoeListTablesToolStandard):
    @property
    def tool_constructor(self) -> type[RoeQueryTableTool]:  # type: ignore[override]
        return RoeQueryTableTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"sql": "SELECT company, revenue FROM companies ORDER BY revenue DESC", "limit": 5}


def call(tool: BaseTool, **args: Any) -> ToolMessage:
    message = tool.invoke({"type": "tool_call", "id": "c1", "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


def acall(tool: BaseTool, **args: Any) -> ToolMessage:
    call_ = {"type": "tool_call", "id": "c1", "name": tool.name, "args": args}
    message = asyncio.run(tool.ainvoke(call_))
    assert isinstance(message, ToolMessage)
    return message


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Any:
    """Call a tool through `invoke` or, natively, `ainvoke`: one test body for both."""
    return call if request.param == "sync" else acall


def query_tool(script: Script, **options: Any) -> RoeQueryTableTool:
    return RoeQueryTableTool(client=mock_client(script), **options)


# Listing -------------------------------------------------------------------------------------------


def test_the_listing_names_each_table_with_its_typed_columns(run: Any) -> None:
    body = {
        "results": [{"name": "companies", "columns": COLUMNS}, {"name": "deals", "columns": []}]
    }
    script = Script([json_response(200, body)])
    message = run(RoeListTablesTool(client=mock_client(script)))
    assert message.status == "success"
    assert message.content == (
        "Roe tables (2), each with its columns:\n"
        "- companies: company String, revenue Float64\n"
        "- deals: (no columns)\n\n"
        "roe_describe_table shows a table's row count and sample rows."
    )
    assert message.artifact[0] == {"name": "companies", "columns": COLUMNS}


def test_an_organization_without_tables_says_so(run: Any) -> None:
    script = Script([json_response(200, {"results": [], "total": 0})])
    message = run(RoeListTablesTool(client=mock_client(script)))
    assert message.content == "There are no Roe tables in this organization."
    assert message.artifact == []


def test_a_long_listing_fits_the_budget_and_counts_what_it_left_out() -> None:
    many = [{"name": f"table_{n:04d}", "columns": COLUMNS} for n in range(500)]
    script = Script([json_response(200, {"results": many, "total": 500})])
    message = call(RoeListTablesTool(client=mock_client(script), max_output_chars=1000))
    assert len(message.content) <= 1000
    assert "more tables not shown (the text budget)" in message.content
    assert "- table_0000:" in message.content


# Describing ----------------------------------------------------------------------------------------


def describe_answers(request: httpx.Request) -> httpx.Response:
    name = request.url.path.split("/")[3]
    if name == "missing":
        return json_response(404, {"detail": "Table not found"})
    if request.url.path.endswith("/describe/"):
        return json_response(
            200,
            {
                "table_name": name,
                "columns": COLUMNS,
                "row_count": 2 if name == "companies" else None,
                "updated_at": "2026-01-05T10:00:00Z" if name == "companies" else None,
            },
        )
    rows = [{"company": "Acme", "revenue": 0.0}, {"company": "", "revenue": None}]
    return json_response(
        200,
        {
            "table_name": name,
            "columns": COLUMNS,
            "rows": rows if name == "companies" else [],
            "row_count": 2 if name == "companies" else 0,
        },
    )


def test_several_tables_are_described_at_once_with_sample_rows(run: Any) -> None:
    script = Script([describe_answers])
    tool = RoeDescribeTableTool(client=mock_client(script), sample_rows=2)
    message = run(tool, table_names=["companies", "empty", "missing"])
    assert message.status == "success"
    assert message.content == (
        "## companies\n"
        "Rows: 2; last changed 2026-01-05T10:00:00+00:00\n"
        "Columns: company String, revenue Float64\n"
        "Sample rows (2):\n"
        "| company | revenue |\n"
        "|---|---|\n"
        "| Acme | 0.0 |\n"
        '| "" | NULL |\n\n'
        "## empty\n"
        "Rows: unknown\n"
        "Columns: company String, revenue Float64\n"
        "Sample rows: none (the table is empty).\n\n"
        "## missing\n"
        "No table named 'missing'; roe_list_tables lists the tables there are."
    )
    assert message.artifact["missing"] == {"error": "Table not found"}
    assert message.artifact["companies"]["row_count"] == 2
    assert message.artifact["companies"]["sample_rows"][0] == {"company": "Acme", "revenue": 0.0}
    assert [r.url.params.get("limit") for r in script.requests if "preview" in r.url.path] == [
        "2",
        "2",
    ]


@pytest.mark.parametrize("names", [[], [f"t{n}" for n in range(21)], ["x" * 129]])
def test_bad_table_names_come_back_to_the_model_without_a_request(run: Any, names: Any) -> None:
    script = Script([describe_answers])
    message = run(RoeDescribeTableTool(client=mock_client(script)), table_names=names)
    assert message.status == "error"
    assert "table name" in message.content or "table_name" in message.content
    assert script.requests == []


def test_bad_tool_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="sample_rows"):
        RoeDescribeTableTool(api_key="k", sample_rows=51)
    with pytest.raises(ConfigurationError, match="wait_timeout"):
        RoeQueryTableTool(api_key="k", wait_timeout=0)
    with pytest.raises(ConfigurationError, match="max_output_chars"):
        RoeListTablesTool(api_key="k", max_output_chars=10)


# Querying ------------------------------------------------------------------------------------------


def test_a_result_is_a_compact_table_with_its_count(run: Any) -> None:
    script = Script([json_response(202, SUBMITTED), json_response(200, SUCCESS)])
    message = run(query_tool(script), sql="SELECT * FROM companies", limit=10)
    assert message.content == (
        "Query result: 2 rows (complete).\n\n"
        "| company | revenue |\n"
        "|---|---|\n"
        "| Acme | 12.5 |\n"
        "| Globex | 0.0 |"
    )
    assert message.artifact == {
        "table_query_id": QUERY_ID,
        "columns": COLUMNS,
        "rows": SUCCESS["rows"],
        "row_count": 2,
        "truncated": False,
    }


def test_zero_rows_are_said_plainly(run: Any) -> None:
    empty = {**SUCCESS, "rows": [], "row_count": 0}
    script = Script([json_response(202, SUBMITTED), json_response(200, empty)])
    message = run(query_tool(script), sql="SELECT * FROM companies WHERE 0")
    assert message.content == "Query result: 0 rows (complete).\nThe query returned no rows."


def test_a_truncated_result_is_never_presented_as_complete(run: Any) -> None:
    rows = [{"company": f"c{n}", "revenue": float(n)} for n in range(5)]
    truncated = {**SUCCESS, "rows": rows, "row_count": 5, "truncated": True}
    script = Script([json_response(202, SUBMITTED), json_response(200, truncated)])
    message = run(query_tool(script), sql="SELECT * FROM companies", limit=5)
    first = str(message.content).splitlines()[0]
    assert first.startswith(
        "Query result TRUNCATED: 5 rows returned, which is NOT the whole answer"
    )
    assert "narrow the query" in first
    assert "complete)" not in message.content
    assert message.artifact["truncated"] is True


def test_a_truncated_result_in_the_smallest_budget_still_says_so() -> None:
    rows = [{"company": "x" * 150, "revenue": float(n)} for n in range(50)]
    truncated = {**SUCCESS, "rows": rows, "row_count": 50, "truncated": True}
    script = Script([json_response(202, SUBMITTED), json_response(200, truncated)])
    message = call(query_tool(script, max_output_chars=500), sql="SELECT *")
    assert len(message.content) <= 500
    assert str(message.content).startswith("Query result TRUNCATED")


def test_a_result_silent_about_truncation_is_called_possibly_incomplete() -> None:
    silent = {k: v for k, v in SUCCESS.items() if k != "truncated"}
    script = Script([json_response(202, SUBMITTED), json_response(200, silent)])
    message = call(query_tool(script), sql="SELECT 1")
    assert "POSSIBLY INCOMPLETE" in message.content


def test_rows_past_the_budget_are_counted_not_silently_dropped() -> None:
    rows = [{"company": f"company number {n}", "revenue": n * 1.5} for n in range(1000)]
    big = {**SUCCESS, "rows": rows, "row_count": 1000}
    script = Script([json_response(202, SUBMITTED), json_response(200, big)])
    message = call(query_tool(script, max_output_chars=2000), sql="SELECT *", limit=1000)
    assert len(message.content) <= 2000
    assert str(message.content).startswith("Query result: 1,000 rows (complete).")
    assert "more rows not shown (the text budget)" in message.content
    assert len(message.artifact["rows"]) == 1000  # the artifact keeps every row


def test_a_sql_error_comes_back_with_the_servers_message_and_a_hint(run: Any) -> None:
    error = "Code: 47. DB::Exception: Unknown identifier 'revnue'"
    script = Script([json_response(202, SUBMITTED), state("FAILURE", error=error)])
    message = run(query_tool(script), sql="SELECT revnue FROM companies")
    assert message.status == "error"
    assert str(message.content).startswith(f"The query failed: {error}\n")
    assert "ClickHouse dialect" in message.content
    assert "roe_describe_table" in message.content


def test_a_refused_query_comes_back_with_the_servers_message(run: Any) -> None:
    script = Script([json_response(400, {"sql": ["Only SELECT queries are allowed."]})])
    message = run(query_tool(script), sql="DELETE FROM companies")
    assert message.status == "error"
    assert "Only SELECT queries are allowed." in message.content


def test_a_slow_query_past_the_wait_says_it_is_still_running(run: Any) -> None:
    script = Script([json_response(202, SUBMITTED), state("STARTED")])
    message = run(query_tool(script, wait_timeout=2), sql="SELECT 1")
    assert message.status == "error"
    assert "still running (STARTED)" in message.content
    assert QUERY_ID in message.content


@pytest.mark.parametrize(("sql", "limit"), [("", 10), ("SELECT 1", 0), ("SELECT 1", 1001)])
def test_a_bad_query_or_limit_is_refused_without_a_request(run: Any, sql: str, limit: int) -> None:
    script = Script([json_response(202, SUBMITTED)])
    message = run(query_tool(script), sql=sql, limit=limit)
    assert message.status == "error"
    assert str(message.content).startswith("The query was not sent:")
    assert script.requests == []


def test_a_bad_key_goes_to_the_developer() -> None:
    script = Script([json_response(401, {"detail": "Invalid API key"})])
    with pytest.raises(AuthenticationError):
        call(query_tool(script), sql="SELECT 1")
    with pytest.raises(AuthenticationError):
        call(RoeDescribeTableTool(client=mock_client(script)), table_names=["companies"])


def test_the_descriptions_name_the_dialect_the_mode_and_the_row_limit() -> None:
    description = RoeQueryTableTool(api_key="k").description
    assert "ClickHouse" in description
    assert "read-only" in description
    assert "1,000 rows" in description


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "NULL"),
        ("", '""'),
        (0, "0"),
        (0.0, "0.0"),
        (False, "false"),
        ({"a": [1, 2]}, '{"a": [1, 2]}'),
        ("a|b\nc", "a\\|b\\nc"),
        ("x" * 500, "x" * 199 + "…"),
        # Strings that would read as another value are quoted.
        ("NULL", '"NULL"'),
        ("null", '"null"'),
        ("true", '"true"'),
        ("false", '"false"'),
        ("0.0", '"0.0"'),
        ("42", '"42"'),
        ("-1e3", '"-1e3"'),
        ("[1, 2]", '"[1, 2]"'),
        ('{"a": 1}', '"{\\"a\\": 1}"'),
        ({"k": "x|y"}, '{"k": "x\\|y"}'),  # nested: JSON as it is, its pipes escaped
        (" padded ", '" padded "'),
        ("plain text", "plain text"),
        ("NULLABLE", "NULLABLE"),
    ],
)
def test_each_cell_is_told_apart(value: Any, shown: str) -> None:
    assert cell_text(value) == shown


def test_the_string_null_and_a_null_cell_read_differently_in_the_tool_text(run: Any) -> None:
    columns = [{"name": "a|b", "type": "String"}, {"name": "c\nd", "type": "String"}]
    result = {
        **SUCCESS,
        "columns": columns,
        "rows": [{"a|b": "NULL", "c\nd": None}],
        "row_count": 1,
    }
    script = Script([json_response(202, SUBMITTED), json_response(200, result)])
    message = run(query_tool(script), sql="SELECT 1")
    lines = str(message.content).splitlines()
    assert "| a\\|b | c\\nd |" in lines  # a pipe or a line break in a column name is escaped
    assert '| "NULL" | NULL |' in lines


@pytest.mark.parametrize("limit", [True, False])
def test_a_truth_value_is_not_a_row_limit(limit: bool) -> None:
    script = Script([json_response(202, SUBMITTED)])
    tool = query_tool(script)
    with pytest.raises(ValueError, match="limit is a number of rows"):
        tool.invoke({"sql": "SELECT 1", "limit": limit})
    assert script.requests == []


# The toolkit ----------------------------------------------------------------------------------------


def test_the_toolkit_gives_the_three_tools_in_order_on_one_client() -> None:
    toolkit = RoeTablesToolkit(
        api_key="sk-roe-toolkit-secret", max_output_chars=3000, sample_rows=1, wait_timeout=9
    )
    tools = toolkit.get_tools()
    assert [t.name for t in tools] == ["roe_list_tables", "roe_describe_table", "roe_query_table"]
    assert {id(t.client) for t in tools} == {id(toolkit.client)}  # type: ignore[attr-defined]
    assert {t.max_output_chars for t in tools} == {3000}  # type: ignore[attr-defined]
    assert tools[1].sample_rows == 1  # type: ignore[attr-defined]
    assert tools[2].wait_timeout == 9  # type: ignore[attr-defined]
    assert "sk-roe-toolkit-secret" not in repr(toolkit) + repr(tools)


def test_a_querys_changes_of_state_go_to_the_graph_custom_stream() -> None:
    from langgraph.graph import END, START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    script = Script(
        [
            json_response(202, SUBMITTED),
            state("PENDING"),
            state("STARTED"),
            json_response(200, SUCCESS),
        ]
    )
    tool = query_tool(script)
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([tool]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    request = AIMessage(
        content="", tool_calls=[{"name": tool.name, "args": {"sql": "SELECT 1"}, "id": "c1"}]
    )
    events = list(graph.compile().stream({"messages": [request]}, stream_mode="custom"))
    assert [e["status"] for e in events] == ["PENDING", "STARTED", "SUCCESS"]
    assert {e["event"] for e in events} == {"roe_table_query_status"}
