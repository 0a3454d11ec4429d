"""`RoeClient`'s Roe table methods: thin sync and async shells over the flows of `_tables`.

A mixin, so the client's module stays one screenful of send loops and job methods; every decision
(checks, retry rules, the wait) lives in `_tables`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from langchain_roe._core._calls import single_flow
from langchain_roe._core._models import (
    Table,
    TableDescription,
    TablePreview,
    TableQueryResult,
    TableUpload,
)
from langchain_roe._core._tables import (
    DEFAULT_PREVIEW_ROWS,
    DEFAULT_QUERY_WAIT_TIMEOUT,
    MAX_QUERY_ROWS,
    delete_call,
    describe_call,
    list_flow,
    preview_call,
    query_call,
    query_flow,
    query_result_call,
    upload_call,
    wait_seconds,
)

if TYPE_CHECKING:
    from langchain_roe._core._flow import Flow, Reporter

T = TypeVar("T")


class TableMethods:
    """The Roe table endpoints, sync and async (mixed into `RoeClient`)."""

    if TYPE_CHECKING:

        def _drive(self, flow: Flow[T], report: Reporter | None = None) -> T: ...

        async def _adrive(self, flow: Flow[T], report: Reporter | None = None) -> T: ...

    def list_tables(self) -> list[Table]:
        """The organization's Roe tables with their columns (`GET /v1/tables/`); retried as a read."""
        return self._drive(list_flow())

    async def alist_tables(self) -> list[Table]:
        """Async `list_tables`."""
        return await self._adrive(list_flow())

    def describe_table(self, table_name: str) -> TableDescription:
        """A table's columns, row count (None when unknown without a scan) and last change.

        `GET /v1/tables/{table_name}/describe/`, retried as a read.

        Raises:
            ValueError: An empty name or one over 128 characters (before any request).
            NotFoundError: No such table in the organization.
        """
        return self._drive(single_flow(describe_call(table_name)))

    async def adescribe_table(self, table_name: str) -> TableDescription:
        """Async `describe_table`."""
        return await self._adrive(single_flow(describe_call(table_name)))

    def preview_table(self, table_name: str, *, limit: int = DEFAULT_PREVIEW_ROWS) -> TablePreview:
        """A table's columns and up to `limit` sample rows (0 to 50; 0 for the columns alone).

        `GET /v1/tables/{table_name}/preview/`, retried as a read.

        Raises:
            ValueError: A bad name or limit (before any request).
            NotFoundError: No such table in the organization.
        """
        return self._drive(single_flow(preview_call(table_name, limit)))

    async def apreview_table(
        self, table_name: str, *, limit: int = DEFAULT_PREVIEW_ROWS
    ) -> TablePreview:
        """Async `preview_table`."""
        return await self._adrive(single_flow(preview_call(table_name, limit)))

    def query_table(
        self,
        sql: str,
        *,
        limit: int = MAX_QUERY_ROWS,
        wait_timeout: float = DEFAULT_QUERY_WAIT_TIMEOUT,
    ) -> TableQueryResult:
        """Run one read-only ClickHouse query (`SELECT` or `WITH ... SELECT`) and wait for its rows.

        The query is submitted (`POST /v1/tables/query/`), then its result polled
        (`GET .../result/`) with the backoff job waits use, until it ends or `wait_timeout` passes.
        The submission is retried as a read: the SQL changes no data, so a repeat after a lost
        answer runs the same read again. Check `complete` on the answer: a `truncated` result (the
        row limit, the server's byte cap, a cell cut short) is not the whole answer.

        Args:
            sql: The query, 1 to 65,536 characters.
            limit: The most rows to return, 1 to 1000.
            wait_timeout: Seconds to wait for the result.

        Raises:
            ValueError: Bad SQL, limit or wait_timeout (before any request).
            BadRequestError: The server refused the request (its message says why).
            TableQueryError: The query ended in FAILURE (a SQL error: `error_message` is the
                server's text) or REVOKED.
            TableQueryNotFinishedError: It had not ended within `wait_timeout`; its
                `table_query_id` can be read later with `get_table_query_result`.
        """
        return self._drive(query_flow(query_call(sql, limit), wait_seconds(wait_timeout)))

    async def aquery_table(
        self,
        sql: str,
        *,
        limit: int = MAX_QUERY_ROWS,
        wait_timeout: float = DEFAULT_QUERY_WAIT_TIMEOUT,
    ) -> TableQueryResult:
        """Async `query_table`."""
        return await self._adrive(query_flow(query_call(sql, limit), wait_seconds(wait_timeout)))

    def get_table_query_result(self, table_query_id: str) -> TableQueryResult:
        """A submitted query's state and rows as they are now, without waiting; retried as a read.

        `GET /v1/tables/query/{table_query_id}/result/`. Unlike `query_table`, a FAILURE or an
        unfinished state is returned, not raised: check `status`.
        """
        return self._drive(single_flow(query_result_call(table_query_id)))

    async def aget_table_query_result(self, table_query_id: str) -> TableQueryResult:
        """Async `get_table_query_result`."""
        return await self._adrive(single_flow(query_result_call(table_query_id)))

    def upload_table(self, table_name: str, csv: Any, *, with_headers: bool = True) -> TableUpload:
        """Create a Roe table from a CSV file (`POST /v1/tables/upload/`, multipart).

        `csv` is a `pathlib.Path`, bytes or a binary file object, read before any request. Sent
        again only where the server provably did not act (the connection was never made, 408,
        429): a repeat after the table was created would be refused as a duplicate, hiding that
        the upload worked. After another failure, `describe_table` tells whether it exists.

        Args:
            table_name: The new table's name, 1 to 128 characters.
            csv: The CSV file.
            with_headers: Whether the first row names the columns (else they are `column_1`, ...).

        Raises:
            ValueError: A bad name, or a `csv` that is not a file (before any request).
            BadRequestError: The server refused: a duplicate or invalid name, an empty CSV.
        """
        return self._drive(single_flow(upload_call(table_name, csv, with_headers=with_headers)))

    async def aupload_table(
        self, table_name: str, csv: Any, *, with_headers: bool = True
    ) -> TableUpload:
        """Async `upload_table`."""
        call = upload_call(table_name, csv, with_headers=with_headers)
        return await self._adrive(single_flow(call))

    def delete_table(self, table_name: str) -> None:
        """Drop a Roe table for good (`DELETE /v1/tables/{table_name}/`, `204`).

        Sent again only where the server provably did not act: a repeat after a lost answer would
        say 404 for the table the first attempt dropped. After another failure the table may be
        gone or not; `describe_table` tells.

        Raises:
            ValueError: A bad name (before any request).
            NotFoundError: No such table.
        """
        return self._drive(single_flow(delete_call(table_name)))

    async def adelete_table(self, table_name: str) -> None:
        """Async `delete_table`."""
        return await self._adrive(single_flow(delete_call(table_name)))
