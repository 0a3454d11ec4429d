"""Roe tables against recorded sessions (built from the spec's shapes), sync and async from one body."""

from __future__ import annotations

import pytest
from langchain_core.messages import ToolMessage

from langchain_roe import (
    BadRequestError,
    NotFoundError,
    RoeClient,
    RoeTablesToolkit,
    TableQueryError,
    TableQueryStatus,
)
from tests.conftest import Invoke


@pytest.fixture
def client() -> RoeClient:
    return RoeClient(api_key="replayed-key-filtered-from-cassettes")


@pytest.mark.vcr("client_tables.yaml")
def test_the_table_calls(client: RoeClient, invoke: Invoke) -> None:
    assert [t.name for t in invoke(client.list_tables)] == ["companies", "events"]
    assert invoke(client.describe_table, "companies").row_count == 5
    assert len(invoke(client.preview_table, "companies", limit=2).rows) == 2
    top = invoke(
        client.query_table,
        "SELECT company, revenue FROM companies ORDER BY revenue DESC LIMIT 3",
    )
    assert top.status is TableQueryStatus.SUCCESS
    assert [r["company"] for r in top.rows] == ["Umbrella", "Acme", "Hooli"]
    assert top.complete
    wide = invoke(client.query_table, "SELECT * FROM events", limit=1000)
    assert (wide.row_count, wide.truncated) == (1000, True)
    slow = invoke(client.query_table, "SELECT count(*) AS n FROM events /* slow */")
    assert slow.rows == [{"n": 1500}]
    with pytest.raises(TableQueryError, match="no such column: revnue") as failed:
        invoke(client.query_table, "SELECT revnue FROM companies")
    assert failed.value.status == "FAILURE"
    with pytest.raises(BadRequestError, match="read-only SELECT"):
        invoke(client.query_table, "DROP TABLE companies")
    with pytest.raises(NotFoundError):
        invoke(client.describe_table, "deals")
    assert invoke(client.delete_table, "events") is None


@pytest.mark.vcr("tool_table_calls.yaml")
def test_the_table_tools_as_a_model_calls_them(client: RoeClient) -> None:
    list_tool, describe, query = RoeTablesToolkit(client=client).get_tools()
    assert "- events: id Int64, kind String" in list_tool.invoke({})
    described = describe.invoke({"table_names": ["companies", "events"]})
    assert "## companies\nRows: 5" in described
    wrong = query.invoke(
        {
            "type": "tool_call",
            "id": "call-2",
            "name": query.name,
            "args": {"sql": "SELECT country, sum(revenu) FROM companies GROUP BY country"},
        }
    )
    assert isinstance(wrong, ToolMessage)
    assert wrong.status == "error"
    assert "no such column: revenu" in str(wrong.content)
    fixed = query.invoke(
        {"sql": "SELECT country, sum(revenue) AS total FROM companies GROUP BY country"}
    )
    assert fixed.startswith("Query result: 4 rows (complete).")
    assert "| US | 218.5 |" in fixed
