"""`RoeTableLoader`: the rows of a read-only query over Roe tables as Documents, one per row."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Unpack
from urllib.parse import quote

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from langchain_roe._convert._table_documents import row_layout, table_documents
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import ClientSettings
from langchain_roe._core._exceptions import TruncatedResultError
from langchain_roe._core._formats import check_seconds, check_text, check_whole
from langchain_roe._core._models import TableQueryResult
from langchain_roe._core._surfaces import build_client
from langchain_roe._core._tables import (
    DEFAULT_QUERY_WAIT_TIMEOUT,
    MAX_QUERY_ROWS,
    MAX_SQL_CHARS,
    TABLE_QUERY_RESULT_PATH,
)


class RoeTableLoader(BaseLoader):
    """Load the rows of a read-only ClickHouse query over Roe tables as Documents, one per row.

    Like LangChain's `CSVLoader`: each row's `page_content` is one `column: value` line per
    content column, and its metadata holds `source` (the query result's URL), `row` (its
    position), `table_query_id` and the metadata columns' values. With `id_column`, each
    `Document.id` is derived from that column's value, so loading again into a vector store
    updates instead of duplicating.

    A result the server marks `truncated` (the row limit, its byte cap, a cell cut short) is not
    every row the query selects, and is refused with `TruncatedResultError` unless
    `allow_truncated=True`; its Documents then carry `truncated: True` in their metadata.

    Example:
        ```python
        from langchain_roe import RoeTableLoader

        loader = RoeTableLoader(
            sql="SELECT id, company, summary, country FROM companies",
            page_content_columns=["company", "summary"],
            metadata_columns=["country"],
            id_column="id",
        )
        for document in loader.lazy_load():
            print(document.id, document.page_content)
        ```

    Args:
        sql: One read-only ClickHouse `SELECT` (or `WITH ... SELECT`), 1 to 65,536 characters.
        page_content_columns: The columns whose values make `page_content`, in order; every
            column not in `metadata_columns` when None.
        metadata_columns: The columns whose values go into the metadata; not `source`, `row`,
            `table_query_id` or `truncated`, which the loader sets.
        id_column: A column whose values are unique and never null: each row's id derives from it.
        allow_truncated: Load a truncated result instead of refusing it.
        limit: The most rows the query returns, 1 to 1000.
        wait_timeout: Seconds to wait for the query's result.
        client: A ready `RoeClient`, instead of client settings.
        **settings: Client settings (`api_key`, `base_url`, ...) when no `client` is given.

    Raises:
        ValueError: A bad argument (here, before any request); at load, a column asked for that
            the result does not have, or an `id_column` value that is null or repeats.
        TruncatedResultError: At load, a truncated result without `allow_truncated`.
        TableQueryError: At load, the query failed (the server's message says why).
    """

    def __init__(
        self,
        sql: str,
        *,
        page_content_columns: Sequence[str] | None = None,
        metadata_columns: Sequence[str] = (),
        id_column: str | None = None,
        allow_truncated: bool = False,
        limit: int = MAX_QUERY_ROWS,
        wait_timeout: float = DEFAULT_QUERY_WAIT_TIMEOUT,
        client: RoeClient | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        self.sql = check_text("sql", sql, MAX_SQL_CHARS)
        self.layout = row_layout(page_content_columns, metadata_columns, id_column)
        self.allow_truncated = bool(allow_truncated)
        self.limit = check_whole("limit", limit, 1, MAX_QUERY_ROWS)
        self.wait_timeout = check_seconds("wait_timeout", wait_timeout)
        self.client = build_client(client, **settings)

    # The layout's parts, each checked again when set.

    @property
    def page_content_columns(self) -> tuple[str, ...] | None:
        """The content columns (None: every column not in `metadata_columns`)."""
        return self.layout.page_content_columns

    @page_content_columns.setter
    def page_content_columns(self, columns: Sequence[str] | None) -> None:
        self.layout = row_layout(columns, self.metadata_columns, self.id_column)

    @property
    def metadata_columns(self) -> tuple[str, ...]:
        """The metadata columns."""
        return self.layout.metadata_columns

    @metadata_columns.setter
    def metadata_columns(self, columns: Sequence[str]) -> None:
        self.layout = row_layout(self.page_content_columns, columns, self.id_column)

    @property
    def id_column(self) -> str | None:
        """The column the Documents' ids derive from, if any."""
        return self.layout.id_column

    @id_column.setter
    def id_column(self, column: str | None) -> None:
        self.layout = row_layout(self.page_content_columns, self.metadata_columns, column)

    def lazy_load(self) -> Iterator[Document]:
        """Run the query, wait for its rows, and yield one Document per row, in order."""
        result = self.client.query_table(self.sql, limit=self.limit, wait_timeout=self.wait_timeout)
        yield from self._documents(result)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Async `lazy_load`."""
        result = await self.client.aquery_table(
            self.sql, limit=self.limit, wait_timeout=self.wait_timeout
        )
        for document in self._documents(result):
            yield document

    def _documents(self, result: TableQueryResult) -> Iterator[Document]:
        if not result.complete and not self.allow_truncated:
            said = "is truncated" if result.truncated else "does not say it is complete"
            msg = (
                f"the query's result {said} ({len(result.rows):,} rows came back): it is not "
                "every row the query selects. Narrow the query (a WHERE clause, fewer columns, "
                "aggregates) or pass allow_truncated=True to load these rows anyway"
            )
            raise TruncatedResultError(
                msg, table_query_id=result.table_query_id, row_count=len(result.rows)
            )
        query_id = quote(result.table_query_id, safe="")
        source = self.client.settings.base_url + TABLE_QUERY_RESULT_PATH.format(
            table_query_id=query_id
        )
        # Made whole before the first is handed over: a null or repeated key in a later row
        # raises before any Document reaches a vector store (the rows are in memory already).
        documents = table_documents(result, self.layout, source=source)
        return iter(list(documents))
