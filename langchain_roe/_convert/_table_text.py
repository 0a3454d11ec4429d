"""What a model reads of Roe tables: tables, schemas and results as compact text, errors as advice.

Each text fits a budget of characters.
A result's rows are a pipe table (`| a | b |`); a cell is shown so that a model tells its values
apart: NULL for null, `""` for an empty string, numbers as Python writes them (0.0 stays 0.0),
JSON for nested values, and a string that would read as one of these quoted (`"NULL"`, `"0.5"`).
A result that is not the whole answer says so first, with how to narrow
the query; rows left out to fit the budget are counted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from langchain_roe._core._exceptions import (
    APIConnectionError,
    APIStatusError,
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RoeError,
    ServerError,
    TableQueryError,
    TableQueryNotFinishedError,
)
from langchain_roe._core._models import (
    Table,
    TableColumn,
    TableDescription,
    TablePreview,
    TableQueryResult,
)

LIST_TABLES_TOOL_NAME: Final = "roe_list_tables"
DESCRIBE_TABLE_TOOL_NAME: Final = "roe_describe_table"
QUERY_TABLE_TOOL_NAME: Final = "roe_query_table"
#: The longest a cell is shown; the rest is cut with an ellipsis (the artifact keeps it whole).
MAX_CELL_CHARS: Final = 200

_SQL_HINT: Final = (
    f"Fix the SQL and call {QUERY_TABLE_TOOL_NAME} again: one read-only SELECT (or WITH ... SELECT) "
    f"in the ClickHouse dialect, with table and column names exactly as {DESCRIBE_TABLE_TOOL_NAME} "
    "shows them."
)


#: Text a string cell is never shown as bare, since it would read as another value: the null, the
#: truth values, or an empty cell.
_NOT_BARE: Final = frozenset({"NULL", "null", "true", "false", ""})


def cell_text(value: Any) -> str:
    """One cell as a model reads it: NULL, `""`, a number as written, JSON, or the text itself.

    A string that would read as another value (`"NULL"`, `"true"`, `"0.5"`, `"[1]"`, `" x"`) is
    shown quoted, as JSON, so that it stays told apart from the null, a number or nested JSON.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str) and not _reads_as_another(value):
        text = _escaped(value)
    else:  # JSON holds no line break and escapes its backslashes: only a pipe needs escaping
        text = json.dumps(value, ensure_ascii=False, default=str).replace("|", "\\|")
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _reads_as_another(text: str) -> bool:
    """Whether `text`, shown bare, would look like a null, a truth value, a number or JSON."""
    if text in _NOT_BARE or text != text.strip() or text[0] in '"[{':
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _escaped(text: str) -> str:
    """`text` kept on one line of one pipe-table cell: backslashes, line breaks and pipes escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("|", "\\|")


def rows_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Rows as pipe-table lines: a header (column names escaped as cells are), a rule, the rows."""
    header = [_escaped(c) if c else '""' for c in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell_text(row.get(c)) for c in columns) + " |" for row in rows]
    return lines


def tables_text(tables: Sequence[Table], *, max_chars: int) -> str:
    """The organization's tables, each with its columns and their types."""
    if not tables:
        return "There are no Roe tables in this organization."
    header = f"Roe tables ({len(tables)}), each with its columns:\n"
    lines = [f"- {table.name}: {_columns(table.columns)}" for table in tables]
    footer = f"\n\n{DESCRIBE_TABLE_TOOL_NAME} shows a table's row count and sample rows."
    return _cut(
        header + _fit(lines, max_chars - len(header) - len(footer), "tables") + footer, max_chars
    )


def description_text(
    table_name: str,
    answer: tuple[TableDescription, TablePreview] | RoeError,
    *,
    sample_rows: int,
) -> str:
    """One table's schema, size and sample rows; or what went wrong reading it."""
    if isinstance(answer, RoeError):
        if isinstance(answer, NotFoundError):
            return (
                f"## {table_name}\nNo table named {table_name!r}; {LIST_TABLES_TOOL_NAME} lists "
                "the tables there are."
            )
        return f"## {table_name}\nCould not read it: {answer.message}."
    description, preview = answer
    rows = "unknown" if description.row_count is None else f"{description.row_count:,}"
    lines = [
        f"## {description.table_name}",
        f"Rows: {rows}" + _updated(description.updated_at),
        "Columns: " + _columns(description.columns),
    ]
    if preview.rows:
        names = [c.name for c in preview.columns] or list(preview.rows[0])
        lines.append(f"Sample rows ({len(preview.rows)}):")
        lines += rows_table(names, preview.rows)
    elif sample_rows:
        lines.append("Sample rows: none (the table is empty).")
    return "\n".join(lines)


def descriptions_text(
    answers: Mapping[str, tuple[TableDescription, TablePreview] | RoeError],
    *,
    sample_rows: int,
    max_chars: int,
) -> str:
    """Several tables' schemas and sample rows, each in its own section, within `max_chars`."""
    sections = [
        description_text(name, answer, sample_rows=sample_rows) for name, answer in answers.items()
    ]
    return _cut("\n\n".join(sections), max_chars)


def query_text(result: TableQueryResult, *, limit: int, max_chars: int) -> str:
    """A query's rows as a compact table with its row count, the truncation said plainly."""
    count = result.row_count if result.row_count is not None else len(result.rows)
    columns = result.column_names
    if not result.complete:
        state = "TRUNCATED" if result.truncated else "POSSIBLY INCOMPLETE (the server did not say)"
        head = (
            f"Query result {state}: {count:,} row{'s' if count != 1 else ''} returned, which is "
            "NOT the whole answer (the row limit, the server's size cap, or a cell cut short). "
            "Do not treat these rows as complete: narrow the query (a WHERE clause, fewer columns, "
            f"GROUP BY with aggregates such as count() or sum(), or a smaller LIMIT than {limit})."
        )
    else:
        head = f"Query result: {count:,} row{'s' if count != 1 else ''} (complete)."
    if not result.rows:
        return head + ("\nThe query returned no rows." if result.complete else "")
    header = head + "\n\n"
    lines = rows_table(columns, result.rows)
    table = _fit(lines[2:], max_chars - len(header) - len(lines[0]) - len(lines[1]) - 2, "rows")
    return _cut(header + lines[0] + "\n" + lines[1] + "\n" + table, max_chars)


def table_error_text(error: BaseException, *, what: str) -> str:
    """What a model should read about a failed table call (`what` names it), and what to do next."""
    if isinstance(error, TableQueryNotFinishedError):
        return (
            f"The query is still running ({error.status}) after the wait; query id "
            f"{error.table_query_id}. Try a narrower or cheaper query, or call again later."
        )
    if isinstance(error, TableQueryError):
        reason = error.error_message or "the server gave no error message"
        if error.status == "REVOKED":
            return f"The query was cancelled on the server (REVOKED): {reason}. Try it again."
        return f"The query failed: {reason}\n{_SQL_HINT}"
    if isinstance(error, BadRequestError):
        return f"The Roe API refused {what}: {error.message}\n{_SQL_HINT}"
    if isinstance(error, NotFoundError):
        return f"Not found ({what}): {error.message}. {LIST_TABLES_TOOL_NAME} lists the tables."
    if isinstance(error, RateLimitError):
        wait = f" about {error.retry_after:.0f}s" if error.retry_after else ""
        return f"The Roe API is rate limiting requests; wait{wait} before calling again."
    if isinstance(error, ServerError | APIConnectionError | InvalidResponseError):
        return f"The Roe API failed to answer {what} after several attempts ({error.message})."
    if isinstance(error, APIStatusError):
        return f"The Roe API refused {what}: {error.message}."
    message = error.message if isinstance(error, RoeError) else str(error)
    return f"{what[:1].upper()}{what[1:]} failed: {message}."


def _columns(columns: Sequence[TableColumn]) -> str:
    return ", ".join(f"{c.name} {c.type}" for c in columns) or "(no columns)"


def _updated(updated_at: datetime | None) -> str:
    return "" if updated_at is None else f"; last changed {updated_at.isoformat()}"


def _fit(lines: Sequence[str], room: int, what: str) -> str:
    """As many whole lines as fit in `room`, then a line saying how many were left out."""
    if sum(len(line) + 1 for line in lines) - 1 <= room:
        return "\n".join(lines)
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        note = f"... {len(lines) - index:,} more {what} not shown (the text budget); narrow it."
        if used + len(line) + 1 + len(note) > room:
            return "\n".join([*kept, note])
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)  # pragma: no cover - the sum above said they do not all fit


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    marker = f"\n... [{len(text) - max_chars:,}+ characters cut to fit the text budget]"
    return text[: max(max_chars - len(marker), 0)] + marker
