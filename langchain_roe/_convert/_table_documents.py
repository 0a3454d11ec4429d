"""A table query's rows as Documents, one per row, as LangChain's `CSVLoader` makes them.

`page_content` is one `column: value` line per content column; metadata holds `source`, `row`
(the row's position), `table_query_id` and each metadata column's value as a flat primitive (a
nested value as JSON). With a key column, `Document.id` is uuid5 of `<key column>/<key as JSON>`
in `TABLE_ROW_ID_NAMESPACE`: loading the same rows again updates a vector store instead of
duplicating them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from langchain_core.documents import Document

from langchain_roe._core._formats import check_text
from langchain_roe._core._models import TableQueryResult
from langchain_roe._core._tables import MAX_SQL_CHARS

TABLE_ROW_ID_NAMESPACE: Final = uuid.UUID("3d2c1b0a-9e8f-5a7b-8c6d-5e4f3a2b1c0d")
#: The metadata keys every row's Document carries; a metadata column may not take their names.
ROW_METADATA_KEYS: Final = ("source", "row", "table_query_id", "truncated")


def row_id(id_column: str, key: Any) -> str:
    """The stable id of the row whose `id_column` holds `key`."""
    written = json.dumps(key, sort_keys=True, ensure_ascii=False, default=str)
    return str(uuid.uuid5(TABLE_ROW_ID_NAMESPACE, f"{id_column}/{written}"))


@dataclass(frozen=True)
class RowLayout:
    """Which columns of a row make what of its Document; made by `row_layout`, which checks it."""

    page_content_columns: tuple[str, ...] | None
    """The columns whose `column: value` lines make `page_content`, in order; None: every column
    not in `metadata_columns`."""
    metadata_columns: tuple[str, ...]
    """The columns whose values go into the metadata, beside `ROW_METADATA_KEYS`."""
    id_column: str | None
    """The column each row's stable id derives from; None: the Documents have no id."""


def row_layout(
    page_content_columns: Sequence[str] | None = None,
    metadata_columns: Sequence[str] = (),
    id_column: str | None = None,
) -> RowLayout:
    """A row layout, checked (before any request).

    Raises:
        ValueError: A column list that is one string, or holds an empty or overlong name; an empty
            `page_content_columns`; a metadata column named as one of `ROW_METADATA_KEYS`; a bad
            `id_column`.
    """
    content = (
        None
        if page_content_columns is None
        else _columns("page_content_columns", page_content_columns, empty=False)
    )
    metadata = _columns("metadata_columns", metadata_columns, empty=True)
    taken = [c for c in metadata if c in ROW_METADATA_KEYS]
    if taken:
        # Its value would overwrite the loader's own key: a column `truncated` (false) would
        # mark a truncated result's rows complete. Alias it in the SQL instead.
        msg = (
            f"metadata_columns cannot name {', '.join(map(repr, taken))}: the loader sets "
            f"{', '.join(ROW_METADATA_KEYS)} itself; alias the column in the SQL "
            "(SELECT source AS source_url ...)"
        )
        raise ValueError(msg)
    if id_column is not None:
        check_text("id_column", id_column, MAX_SQL_CHARS)
    return RowLayout(content, metadata, id_column)


def _columns(name: str, columns: Sequence[str], *, empty: bool) -> tuple[str, ...]:
    """Column names checked: a sequence (not one string) of non-empty strings."""
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        msg = f"{name} must be a list of column names, got {columns!r}"
        raise ValueError(msg)
    if not columns and not empty:
        msg = f"{name} is empty: give at least one column, or None for all of them"
        raise ValueError(msg)
    for column in columns:
        check_text(name, column, MAX_SQL_CHARS)
    return tuple(columns)


def table_documents(
    result: TableQueryResult, layout: RowLayout, *, source: str
) -> Iterator[Document]:
    """One Document per row of `result`, in order, as `layout` says.

    Raises:
        ValueError: A column asked for is not in the result; or, with `id_column`, a row whose key
            is null or repeats an earlier row's (its id would not be stable).
    """
    page_content_columns, metadata_columns, id_column = (
        layout.page_content_columns,
        layout.metadata_columns,
        layout.id_column,
    )
    present = result.column_names
    asked = [*(page_content_columns or []), *metadata_columns, *([id_column] if id_column else [])]
    missing = [c for c in dict.fromkeys(asked) if c not in present]
    if missing and result.rows:
        msg = (
            f"the query's result has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(present) or 'none'}"
        )
        raise ValueError(msg)
    content = (
        list(page_content_columns)
        if page_content_columns is not None
        else [c for c in present if c not in metadata_columns]
    )
    seen: set[str] = set()
    for position, row in enumerate(result.rows):
        metadata: dict[str, Any] = {
            "source": source,
            "row": position,
            "table_query_id": result.table_query_id,
        }
        if not result.complete:
            metadata["truncated"] = True
        metadata.update((c, _flat(row.get(c))) for c in metadata_columns)
        document_id = None
        if id_column is not None:
            key = row.get(id_column)
            if key is None:
                msg = f"row {position} has no value in id_column {id_column!r}"
                raise ValueError(msg)
            document_id = row_id(id_column, key)
            if document_id in seen:
                msg = f"row {position} repeats the key {key!r} of id_column {id_column!r}"
                raise ValueError(msg)
            seen.add(document_id)
        text = "\n".join(f"{c}: {_text(row.get(c))}" for c in content)
        yield Document(page_content=text, metadata=metadata, id=document_id)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _flat(value: Any) -> Any:
    """A metadata value as a flat primitive: None, bool, number and text as they are, else JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
