"""Every option of the table tools, `RoeTablesToolkit` and `RoeTableLoader`, seen where it acts.

What reaches the loopback server (the query's body, the preview's `limit`, how many result polls
a wait makes: `tests/support/wire.py`) or what the surface answers, sync and async alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_roe import (
    ConfigurationError,
    RoeDescribeTableTool,
    RoeListTablesTool,
    RoeQueryTableTool,
    RoeTableLoader,
    RoeTablesToolkit,
    TableQueryNotFinishedError,
    TruncatedResultError,
)
from tests.support.loopback import LoopbackServer
from tests.support.tables import SLOW_MARK
from tests.support.wire import Sent, load, loopback_client, sent, tool_call

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

SQL = "SELECT id, company, country FROM companies ORDER BY id"
SLOW_SQL = f"SELECT id FROM companies {SLOW_MARK}"  # noqa: S608 - a constant
RESULT = "/v1/tables/query/{}/result/"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def submissions(server: LoopbackServer) -> list[Sent]:
    return [s for s in sent(server) if (s.method, s.path) == ("POST", "/v1/tables/query/")]


def polls(server: LoopbackServer) -> int:
    return sum(s.path.endswith("/result/") for s in sent(server))


# The query tool --------------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "sent_limit"), [(None, 100), (1, 1), (7, 7), (1000, 1000)])
def test_query_tool_sends_the_sql_and_limit(
    server: LoopbackServer, mode: str, limit: int | None, sent_limit: int
) -> None:
    args: dict[str, Any] = {"sql": SQL}
    if limit is not None:
        args["limit"] = limit
    message = tool_call(RoeQueryTableTool(client=loopback_client(server)), mode, **args)
    assert message.status == "success"
    (submitted,) = submissions(server)
    assert submitted.json() == {"sql": SQL, "limit": sent_limit}
    assert len(message.artifact["rows"]) == min(sent_limit, 5)


@pytest.mark.parametrize("limit", [0, 1001])
def test_query_tool_refuses_a_limit_out_of_range_before_any_request(
    server: LoopbackServer, mode: str, limit: int
) -> None:
    message = tool_call(
        RoeQueryTableTool(client=loopback_client(server)), mode, sql=SQL, limit=limit
    )
    assert message.status == "error"
    assert "limit" in str(message.content)
    assert sent(server) == []


@pytest.mark.parametrize(("wait_timeout", "finishes"), [(None, True), (0.01, False)])
def test_query_tool_wait_timeout(
    server: LoopbackServer, mode: str, wait_timeout: float | None, finishes: bool
) -> None:
    given: dict[str, Any] = {} if wait_timeout is None else {"wait_timeout": wait_timeout}
    tool = RoeQueryTableTool(client=loopback_client(server), **given)
    message = tool_call(tool, mode, sql=SLOW_SQL)
    if finishes:
        assert message.status == "success"
        assert polls(server) == 5  # four waiting states, then the rows
    else:
        assert message.status == "error"
        assert "still running" in str(message.content)
        assert polls(server) == 2  # asked at once, then once more when the wait ran out


@pytest.mark.parametrize("wait_timeout", [0, -1.0, float("inf")])
def test_query_tool_refuses_a_bad_wait_timeout(wait_timeout: float) -> None:
    with pytest.raises(ConfigurationError, match="wait_timeout"):
        RoeQueryTableTool(api_key="k", wait_timeout=wait_timeout)


# The describe and list tools -----------------------------------------------------------------


@pytest.mark.parametrize(("sample_rows", "asked"), [(None, "3"), (0, "0"), (2, "2"), (50, "50")])
def test_describe_tool_sample_rows_is_the_previews_limit(
    server: LoopbackServer, mode: str, sample_rows: int | None, asked: str
) -> None:
    given: dict[str, Any] = {} if sample_rows is None else {"sample_rows": sample_rows}
    tool = RoeDescribeTableTool(client=loopback_client(server), **given)
    message = tool_call(tool, mode, table_names=["companies", "events"])
    previews = [s for s in sent(server) if s.path.endswith("/preview/")]
    assert [s.path for s in previews] == [
        "/v1/tables/companies/preview/",
        "/v1/tables/events/preview/",
    ]
    assert [s.param("limit") for s in previews] == [asked, asked]
    assert len(message.artifact["events"]["sample_rows"]) == int(asked)


@pytest.mark.parametrize("sample_rows", [-1, 51])
def test_describe_tool_refuses_sample_rows_out_of_range(sample_rows: int) -> None:
    with pytest.raises(ConfigurationError, match="sample_rows"):
        RoeDescribeTableTool(api_key="k", sample_rows=sample_rows)


def test_list_tool_asks_once(server: LoopbackServer, mode: str) -> None:
    message = tool_call(RoeListTablesTool(client=loopback_client(server)), mode)
    assert {table["name"] for table in message.artifact} >= {"companies", "events"}
    assert [(s.method, s.path) for s in sent(server)] == [("GET", "/v1/tables/")]


@pytest.mark.parametrize("budget", [500, 800])
def test_table_tools_max_output_chars(server: LoopbackServer, mode: str, budget: int) -> None:
    tool = RoeQueryTableTool(client=loopback_client(server), max_output_chars=budget)
    text = str(tool_call(tool, mode, sql="SELECT id, kind FROM events", limit=1000).content)
    assert len(text) <= budget


# RoeTablesToolkit ------------------------------------------------------------------------------


def test_tables_toolkit_passes_each_option_to_its_tools(server: LoopbackServer, mode: str) -> None:
    toolkit = RoeTablesToolkit(
        api_key="tables-key",
        base_url=server.base_url,
        max_output_chars=600,
        sample_rows=1,
        wait_timeout=0.01,
    )
    listing, describe, query = toolkit.get_tools()
    assert isinstance(listing, RoeListTablesTool)
    assert all(
        getattr(tool, "client", None) is toolkit.client for tool in (listing, describe, query)
    )
    assert isinstance(describe, RoeDescribeTableTool)
    assert isinstance(query, RoeQueryTableTool)
    tool_call(describe, mode, table_names=["events"])
    (preview,) = [s for s in sent(server) if s.path.endswith("/preview/")]
    assert preview.param("limit") == "1"
    assert "still running" in str(tool_call(query, mode, sql=SLOW_SQL).content)
    text = str(tool_call(query, mode, sql="SELECT id, kind FROM events", limit=1000).content)
    assert len(text) <= 600
    assert {s.headers["authorization"] for s in sent(server)} == {"Bearer tables-key"}


def test_tables_toolkit_defaults(server: LoopbackServer, mode: str) -> None:
    _, describe, query = RoeTablesToolkit(client=loopback_client(server)).get_tools()
    tool_call(describe, mode, table_names=["events"])
    (preview,) = [s for s in sent(server) if s.path.endswith("/preview/")]
    assert preview.param("limit") == "3"
    assert tool_call(query, mode, sql=SLOW_SQL).status == "success"


# RoeTableLoader --------------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "sent_limit"), [(None, 1000), (1, 1), (3, 3), (1000, 1000)])
def test_table_loader_sends_the_sql_and_limit(
    server: LoopbackServer, mode: str, limit: int | None, sent_limit: int
) -> None:
    given: dict[str, Any] = {} if limit is None else {"limit": limit}
    loader = RoeTableLoader(SQL, client=loopback_client(server), allow_truncated=True, **given)
    documents = load(loader, mode)
    (submitted,) = submissions(server)
    assert submitted.json() == {"sql": SQL, "limit": sent_limit}
    assert len(documents) == min(sent_limit, 5)


@pytest.mark.parametrize("limit", [0, 1001])
def test_table_loader_refuses_a_limit_out_of_range(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        RoeTableLoader(SQL, api_key="k", limit=limit)


@pytest.mark.parametrize(("wait_timeout", "finishes"), [(None, True), (0.01, False)])
def test_table_loader_wait_timeout(
    server: LoopbackServer, mode: str, wait_timeout: float | None, finishes: bool
) -> None:
    given: dict[str, Any] = {} if wait_timeout is None else {"wait_timeout": wait_timeout}
    loader = RoeTableLoader(SLOW_SQL, client=loopback_client(server), **given)
    if finishes:
        assert len(load(loader, mode)) == 5
        assert polls(server) == 5
    else:
        with pytest.raises(TableQueryNotFinishedError):
            load(loader, mode)
        assert polls(server) == 2


def test_table_loader_columns_and_id(server: LoopbackServer, mode: str) -> None:
    loader = RoeTableLoader(
        SQL,
        client=loopback_client(server),
        page_content_columns=["company"],
        metadata_columns=["country"],
        id_column="id",
    )
    first, second, *_ = load(loader, mode)
    assert first.page_content.startswith("company: ")
    assert "country" not in first.page_content
    assert "id:" not in first.page_content
    assert set(first.metadata) == {"source", "row", "table_query_id", "country"}
    assert first.id is not None
    assert first.id != second.id
    same = load(RoeTableLoader(SQL, client=loopback_client(server), id_column="id"), mode)
    assert same[0].id == first.id  # the id derives from the column's value only
    assert load(RoeTableLoader(SQL, client=loopback_client(server)), mode)[0].id is None


def test_table_loader_allow_truncated(server: LoopbackServer, mode: str) -> None:
    with pytest.raises(TruncatedResultError):
        load(RoeTableLoader(SQL, client=loopback_client(server), limit=2), mode)
    documents = load(
        RoeTableLoader(SQL, client=loopback_client(server), limit=2, allow_truncated=True), mode
    )
    assert len(documents) == 2
    assert all(d.metadata["truncated"] is True for d in documents)


@pytest.mark.parametrize(
    ("table_names", "described"),
    [(["events"], ["events"]), (["companies", "companies"], ["companies"])],
    ids=["one name", "a repeat"],
)
def test_describe_tool_table_names(
    server: LoopbackServer, mode: str, table_names: Any, described: list[str]
) -> None:
    tool = RoeDescribeTableTool(client=loopback_client(server))
    tool_call(tool, mode, table_names=table_names)
    asked = [s.path for s in sent(server) if s.path.endswith("/describe/")]
    assert asked == [f"/v1/tables/{name}/describe/" for name in described]


@pytest.mark.parametrize("count", [0, 21])
def test_describe_tool_refuses_too_few_or_many_names(
    server: LoopbackServer, mode: str, count: int
) -> None:
    tool = RoeDescribeTableTool(client=loopback_client(server))
    message = tool_call(tool, mode, table_names=[f"t{n}" for n in range(count)])
    assert message.status == "error"
    assert sent(server) == []
