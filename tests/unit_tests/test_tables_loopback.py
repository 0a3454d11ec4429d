"""Roe tables end to end against the loopback server (SQLite standing in for ClickHouse)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_roe import (
    APIConnectionError,
    BadRequestError,
    NotFoundError,
    RoeClient,
    RoeTableLoader,
    RoeTablesToolkit,
    TableQueryError,
    TruncatedResultError,
)
from tests.conftest import Invoke
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.tables import EVENT_ROWS, SLOW_MARK

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def client_of(server: LoopbackServer, **settings: Any) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url, **settings)


def test_tables_are_listed_described_and_previewed(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        client = client_of(server)
        tables = invoke(client.list_tables)
        assert [t.name for t in tables] == ["companies", "events"]
        description = invoke(client.describe_table, "companies")
        assert description.row_count == 5
        assert [c.type for c in description.columns] == ["Int64", "String", "String", "Float64"]
        preview = invoke(client.preview_table, "companies", limit=2)
        assert [r["company"] for r in preview.rows] == ["Acme", "Globex"]
        assert invoke(client.preview_table, "companies", limit=0).rows == []
        with pytest.raises(NotFoundError, match="Table not found"):
            invoke(client.describe_table, "nope")


def test_a_query_is_waited_for_and_a_narrow_one_is_complete(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        client = client_of(server)
        result = invoke(
            client.query_table, "SELECT company, revenue FROM companies ORDER BY revenue LIMIT 2"
        )
        assert result.rows == [
            {"company": "Globex", "revenue": 0.0},
            {"company": "Initech", "revenue": 64.0},
        ]
        assert result.complete
        assert len(server.tables.polls) == 2  # PENDING, then SUCCESS


def test_a_wide_query_comes_back_truncated_at_its_limit(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        result = invoke(client_of(server).query_table, "SELECT * FROM events", limit=1000)
        assert result.row_count == 1000 < EVENT_ROWS
        assert result.truncated is True
        assert not result.complete


def test_a_slow_query_is_polled_through_its_states(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        sql = "SELECT count(*) AS n FROM events /* slow */"
        assert SLOW_MARK in sql
        result = invoke(client_of(server).query_table, sql)
        assert result.rows == [{"n": EVENT_ROWS}]
        assert len(server.tables.polls) == 5  # PENDING, STARTED, RETRY, PENDING, SUCCESS
        assert server.tables.submitted == [sql]  # submitted once


def test_a_failed_query_carries_the_servers_error(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        with pytest.raises(TableQueryError, match="no such column: revnue") as raised:
            invoke(client_of(server).query_table, "SELECT revnue FROM companies")
        assert raised.value.status == "FAILURE"
        assert raised.value.table_query_id in server.tables.queries
        with pytest.raises(BadRequestError, match="Only a single read-only SELECT"):
            invoke(client_of(server).query_table, "DROP TABLE companies")
        assert len(server.tables.submitted) == 1


def test_a_csv_is_uploaded_queried_and_deleted(invoke: Invoke) -> None:
    with LoopbackServer(ServerConfig()) as server:
        client = client_of(server)
        upload = invoke(client.upload_table, "deals", b"deal,amount\nA,10\nB,0\n")
        assert upload.summary == {"written_rows": 2}
        result = invoke(client.query_table, "SELECT deal FROM deals ORDER BY deal")
        assert result.rows == [{"deal": "A"}, {"deal": "B"}]
        with pytest.raises(BadRequestError, match="already exists"):
            invoke(client.upload_table, "deals", b"deal\nC\n")
        invoke(client.delete_table, "deals")
        with pytest.raises(NotFoundError):
            invoke(client.delete_table, "deals")
        assert server.tables.uploads == ["deals"]
        assert server.tables.deletions == ["deals"]


def test_an_upload_or_delete_whose_answer_was_lost_is_not_repeated(invoke: Invoke) -> None:
    """The server acted, then the connection dropped: one attempt each, the failure raised."""
    config = ServerConfig(drops=1.0, faults_after_acting=1.0)
    with LoopbackServer(config) as server:
        client = client_of(server, max_retries=3)
        with pytest.raises(APIConnectionError):
            invoke(client.upload_table, "deals", b"deal\nA\n")
        with pytest.raises(APIConnectionError):
            invoke(client.delete_table, "deals")
        assert server.tables.uploads == ["deals"]
        assert server.tables.deletions == ["deals"]
        assert server.requests == 2


def test_the_toolkit_and_the_loader_over_the_server() -> None:
    with LoopbackServer(ServerConfig()) as server:
        list_tool, describe, query = RoeTablesToolkit(client=client_of(server)).get_tools()
        assert "- companies: id Int64, company String" in list_tool.invoke({})
        described = describe.invoke({"table_names": ["companies", "events"]})
        assert "Rows: 1,500" in described
        assert "| 2 | Globex | DE | 0.0 |" in described
        text = asyncio.run(query.ainvoke({"sql": "SELECT * FROM events", "limit": 1000}))
        assert text.startswith("Query result TRUNCATED: 1,000 rows returned")
        failed = query.invoke(
            {"type": "tool_call", "id": "c1", "name": query.name, "args": {"sql": "SELECT x"}}
        )
        assert failed.status == "error"
        assert "no such column: x" in failed.content

        loader = RoeTableLoader(
            sql="SELECT id, company, country FROM companies ORDER BY id",
            page_content_columns=["company"],
            metadata_columns=["country"],
            id_column="id",
            client=client_of(server),
        )
        documents = loader.load()
        assert [d.page_content for d in documents][:2] == ["company: Acme", "company: Globex"]
        assert documents[2].metadata["country"] is None
        assert len({d.id for d in documents}) == 5
        with pytest.raises(TruncatedResultError):
            RoeTableLoader(sql="SELECT * FROM events", client=client_of(server)).load()
