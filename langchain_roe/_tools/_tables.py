"""The Roe table tools: list the tables, read schemas with sample rows, run a read-only query.

An agent uses them in that order, as it uses LangChain's SQL toolkit.
Each is a thin adapter over `RoeClient` (built through `build_client`, as every surface builds it).
Errors a model can act on (a SQL error, a missing table, a refused query) come back to it as an
error `ToolMessage` with the server's message and a hint; set-up errors are raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, Final

from langchain_core.tools import BaseTool, BaseToolkit, ToolException
from pydantic import BaseModel, ConfigDict, Field, field_validator

from langchain_roe._convert._agent_text import DEFAULT_MAX_OUTPUT_CHARS
from langchain_roe._convert._table_text import (
    DESCRIBE_TABLE_TOOL_NAME,
    LIST_TABLES_TOOL_NAME,
    QUERY_TABLE_TOOL_NAME,
    descriptions_text,
    query_text,
    table_error_text,
    tables_text,
)
from langchain_roe._core._exceptions import RoeError, is_for_the_model
from langchain_roe._core._flow import Flow, Reporter
from langchain_roe._core._models import Table, TableQueryResult
from langchain_roe._core._surfaces import RoeSettingsFields, Seconds, Whole
from langchain_roe._core._tables import (
    DEFAULT_PREVIEW_ROWS,
    MAX_PREVIEW_ROWS,
    MAX_QUERY_ROWS,
    list_flow,
    overview_flow,
    query_call,
    query_flow,
)
from langchain_roe._tools._base import (
    Answer,
    OutputBudget,
    RoeTool,
    stream_writer,
)

#: How many tables one `roe_describe_table` call reads at most.
MAX_DESCRIBED_TABLES: Final = 20
#: The rows a query returns when the model does not say (it may ask up to 1000).
DEFAULT_QUERY_ROWS: Final = 100
DEFAULT_TABLE_WAIT_TIMEOUT: Final = 120.0

SampleRows = Annotated[int, Whole(0, MAX_PREVIEW_ROWS)]
"""`roe_describe_table`'s sample rows per table (a preview's bound)."""

LIST_TABLES_DESCRIPTION = (
    "List the Roe tables of the organization, each with its columns and their ClickHouse types. "
    f"Call it first, then {DESCRIBE_TABLE_TOOL_NAME} for the tables that look relevant."
)
DESCRIBE_TABLE_DESCRIPTION = (
    "Show the schema of one or more Roe tables: each table's columns with their ClickHouse types, "
    "its row count when known, and a few sample rows. Give several table names at once (comma "
    f"separated list) to compare them. Call it before writing a query for {QUERY_TABLE_TOOL_NAME}."
)
QUERY_TABLE_DESCRIPTION = (
    "Run one read-only SQL query over the Roe tables and return its rows as a table. The dialect is "
    "ClickHouse (e.g. count(), toDate(), ILIKE, LIMIT n). Only a single SELECT or WITH ... SELECT "
    f"is allowed; it cannot change data. At most {MAX_QUERY_ROWS:,} rows come back (the `limit`), "
    "and a result that hit a limit is marked TRUNCATED: aggregate or filter in SQL rather than "
    "reading many rows. If the query fails, the error message says why: fix the SQL and try again."
)


class RoeListTablesInput(BaseModel):
    """Arguments of `roe_list_tables` (none)."""


class RoeDescribeTableInput(BaseModel):
    """Arguments of `roe_describe_table`."""

    table_names: list[str] = Field(
        description=(
            f"Names of the Roe tables to describe (1 to {MAX_DESCRIBED_TABLES}), exactly as "
            f"{LIST_TABLES_TOOL_NAME} lists them."
        )
    )


class RoeQueryTableInput(BaseModel):
    """Arguments of `roe_query_table`."""

    sql: str = Field(
        description=(
            "One read-only ClickHouse SQL query: a SELECT or WITH ... SELECT over Roe tables, "
            "with table and column names as the schema shows them."
        )
    )
    limit: int = Field(
        default=DEFAULT_QUERY_ROWS,
        description=f"The most rows to return, 1 to {MAX_QUERY_ROWS:,} (default {DEFAULT_QUERY_ROWS}).",
    )

    @field_validator("limit", mode="before")
    @classmethod
    def _not_a_truth_value(cls, value: Any) -> Any:
        """`true` is not a row count (pydantic would read it as 1, and one row would come back)."""
        if isinstance(value, bool):
            msg = f"limit is a number of rows, 1 to {MAX_QUERY_ROWS:,}, not {str(value).lower()}"
            raise ValueError(msg)
        return value


class RoeListTablesTool(RoeTool):
    """Let an LLM agent list the organization's Roe tables with their columns.

    Its `artifact` is the list of tables as dicts (`name`, `columns`).

    Example:
        ```python
        from langchain_roe import RoeListTablesTool

        print(RoeListTablesTool().invoke({}))  # reads ROE_API_KEY
        ```
    """

    name: str = LIST_TABLES_TOOL_NAME
    description: str = LIST_TABLES_DESCRIPTION
    args_schema: type[BaseModel] = RoeListTablesInput

    def _flow(self) -> Flow[Answer]:
        with _table_errors("the table listing"):
            tables = yield from list_flow()
        return self._respond(tables)

    def _respond(self, tables: list[Table]) -> tuple[str, Any]:
        artifact = [table.model_dump(mode="json") for table in tables]
        return tables_text(tables, max_chars=self.max_output_chars), artifact


class RoeDescribeTableTool(RoeTool):
    """Let an LLM agent read Roe tables' schemas, row counts and a few sample rows.

    Several tables at once; a table that cannot be read (a wrong name) is said in its section and
    the others are still shown. Its `artifact` maps each table to its description and sample rows,
    or to `{"error": ...}`.

    Example:
        ```python
        from langchain_roe import RoeDescribeTableTool

        print(RoeDescribeTableTool().invoke({"table_names": ["companies"]}))
        ```
    """

    name: str = DESCRIBE_TABLE_TOOL_NAME
    description: str = DESCRIBE_TABLE_DESCRIPTION
    args_schema: type[BaseModel] = RoeDescribeTableInput

    sample_rows: SampleRows = DEFAULT_PREVIEW_ROWS
    """Sample rows shown per table, 0 to 50."""

    def _flow(self, table_names: list[str]) -> Flow[Answer]:
        with _table_errors("the table description"):
            answers = yield from overview_flow(_names(table_names), self.sample_rows)
        return self._respond(answers)

    def _respond(self, answers: dict[str, Any]) -> tuple[str, Any]:
        text = descriptions_text(
            answers, sample_rows=self.sample_rows, max_chars=self.max_output_chars
        )
        artifact = {
            name: (
                {"error": answer.message}
                if isinstance(answer, RoeError)
                else {**answer[0].model_dump(mode="json"), "sample_rows": answer[1].rows}
            )
            for name, answer in answers.items()
        }
        return text, artifact


class RoeQueryTableTool(RoeTool):
    """Let an LLM agent run a read-only ClickHouse query over Roe tables and read its rows.

    The text is a compact table with the row count; a truncated result says so plainly, with how
    to narrow the query, and rows left out to fit `max_output_chars` are counted. A SQL error comes
    back to the model with the server's message and a hint, so it can fix the query. Its
    `artifact` is the result (`table_query_id`, `columns`, `rows`, `row_count`, `truncated`).

    Example:
        ```python
        from langchain_roe import RoeQueryTableTool

        tool = RoeQueryTableTool(wait_timeout=30)  # reads ROE_API_KEY; 120 s by default
        print(tool.invoke({"sql": "SELECT count() FROM companies", "limit": 10}))
        ```
    """

    name: str = QUERY_TABLE_TOOL_NAME
    description: str = QUERY_TABLE_DESCRIPTION
    args_schema: type[BaseModel] = RoeQueryTableInput

    wait_timeout: Annotated[float, Seconds()] = DEFAULT_TABLE_WAIT_TIMEOUT
    """Seconds to wait for a query's result before telling the model it is still running."""

    def _reporter(self) -> Reporter | None:
        return stream_writer()  # a query's changes of state go to a LangGraph custom stream

    def _flow(self, sql: str, limit: int = DEFAULT_QUERY_ROWS) -> Flow[Answer]:
        with _table_errors("the query"):
            result = yield from self._query(sql, limit)
        return self._respond(result, limit)

    def _query(self, sql: str, limit: int) -> Flow[TableQueryResult]:
        """`RoeClient.query_table`'s flow."""
        return query_flow(query_call(sql, limit), self.wait_timeout)

    def _respond(self, result: TableQueryResult, limit: int) -> tuple[str, Any]:
        text = query_text(result, limit=limit, max_chars=self.max_output_chars)
        artifact = result.model_dump(
            mode="json",
            include={"table_query_id", "columns", "rows", "row_count", "truncated"},
        )
        return text, artifact


class RoeTablesToolkit(RoeSettingsFields, BaseToolkit):
    """Tools for an LLM agent to answer questions from Roe tables, as LangChain's SQL toolkit does.

    `roe_list_tables`, `roe_describe_table` and `roe_query_table`, sharing one client. The queries
    are read-only ClickHouse SQL, so the tools change no data.

    Example:
        ```python
        from langchain_roe import RoeTablesToolkit

        tools = RoeTablesToolkit().get_tools()  # reads ROE_API_KEY
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    max_output_chars: OutputBudget = DEFAULT_MAX_OUTPUT_CHARS
    """The most characters of text each tool gives the model."""
    sample_rows: SampleRows = DEFAULT_PREVIEW_ROWS
    """Sample rows `roe_describe_table` shows per table, 0 to 50."""
    wait_timeout: Annotated[float, Seconds()] = DEFAULT_TABLE_WAIT_TIMEOUT
    """Seconds `roe_query_table` waits for a result."""

    def get_tools(self) -> list[BaseTool]:
        """The three tools, in the order an agent uses them."""
        budget = {"client": self.client, "max_output_chars": self.max_output_chars}
        return [
            RoeListTablesTool(**budget),
            RoeDescribeTableTool(**budget, sample_rows=self.sample_rows),
            RoeQueryTableTool(**budget, wait_timeout=self.wait_timeout),
        ]


def _names(table_names: Any) -> list[str]:
    """The table names a model gave: a list (or one name), 1 to `MAX_DESCRIBED_TABLES` of them."""
    names = [table_names] if isinstance(table_names, str) else list(table_names or [])
    if not names or len(names) > MAX_DESCRIBED_TABLES:
        msg = f"give 1 to {MAX_DESCRIBED_TABLES} table names, got {len(names)}"
        raise ToolException(msg)
    return names


@contextlib.contextmanager
def _table_errors(what: str) -> Iterator[None]:
    """Inside a table tool's flow: what the model can act on becomes a `ToolException`."""
    try:
        yield
    except (RoeError, ValueError) as error:
        raise _for_the_model(error, what) from error


def _for_the_model(error: Exception, what: str) -> Exception:
    """A `ToolException` the model reads for an error it can act on; else the error itself."""
    if isinstance(error, RoeError) and not is_for_the_model(error):
        return error
    if isinstance(error, RoeError):
        return ToolException(table_error_text(error, what=what))
    return ToolException(f"{what[:1].upper()}{what[1:]} was not sent: {error}.")
