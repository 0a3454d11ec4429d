"""`RoeTableLoader`: rows as Documents, stable ids from a key column, truncation refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_roe import (
    RoeTableLoader,
    TableQueryError,
    TruncatedResultError,
)
from tests.support.mock_api import Script, json_response, mock_client
from tests.unit_tests.test_tables import QUERY_ID, SUBMITTED, SUCCESS, state

ROWS = [
    {"id": 7, "company": "Acme", "summary": "Makes anvils", "country": "US", "tags": ["b2b"]},
    {"id": 9, "company": "Globex", "summary": None, "country": None, "tags": []},
]
COLUMNS = [{"name": n, "type": "String"} for n in ("id", "company", "summary", "country", "tags")]
RESULT = {**SUCCESS, "columns": COLUMNS, "rows": ROWS, "row_count": 2}


def loader_for(result: Any, **options: Any) -> tuple[RoeTableLoader, Script]:
    script = Script([json_response(202, SUBMITTED), json_response(200, result)])
    options.setdefault("sql", "SELECT * FROM companies")
    return RoeTableLoader(client=mock_client(script), **options), script


@pytest.fixture(params=["sync", "async"])
def load(request: pytest.FixtureRequest) -> Any:
    """`lazy_load`, or natively `alazy_load`: one test body for both."""

    def run(loader: RoeTableLoader) -> list[Document]:
        if request.param == "sync":
            return list(loader.lazy_load())

        async def collect() -> list[Document]:
            return [document async for document in loader.alazy_load()]

        return asyncio.run(collect())

    return run


def test_each_row_is_a_document_like_csvloaders(load: Any) -> None:
    loader, script = loader_for(
        RESULT, page_content_columns=["company", "summary"], metadata_columns=["country", "tags"]
    )
    documents = load(loader)
    assert [d.page_content for d in documents] == [
        "company: Acme\nsummary: Makes anvils",
        "company: Globex\nsummary: ",
    ]
    assert documents[0].metadata == {
        "source": f"https://api.roe-ai.com/v1/tables/query/{QUERY_ID}/result/",
        "row": 0,
        "table_query_id": QUERY_ID,
        "country": "US",
        "tags": '["b2b"]',
    }
    assert documents[1].metadata["country"] is None
    assert [d.id for d in documents] == [None, None]
    assert len(script.requests) == 2


def test_without_content_columns_every_other_column_is_content(load: Any) -> None:
    loader, _ = loader_for(RESULT, metadata_columns=["country"])
    first = load(loader)[0]
    assert first.page_content == ('id: 7\ncompany: Acme\nsummary: Makes anvils\ntags: ["b2b"]')


def test_ids_from_a_key_column_are_stable_and_distinct(load: Any) -> None:
    first = load(loader_for(RESULT, id_column="id")[0])
    again = load(loader_for({**RESULT, "rows": ROWS[::-1]}, id_column="id")[0])
    assert first[0].id is not None
    assert first[0].id != first[1].id
    assert {d.id for d in first} == {d.id for d in again}  # the key decides, not the position
    changed = [{**ROWS[0], "summary": "Makes rockets"}, ROWS[1]]
    assert load(loader_for({**RESULT, "rows": changed}, id_column="id")[0])[0].id == first[0].id


@pytest.mark.parametrize(
    ("rows", "match"),
    [([{**ROWS[0], "id": None}], "no value in id_column"), ([ROWS[0], ROWS[0]], "repeats the key")],
)
def test_a_null_or_repeated_key_is_refused(load: Any, rows: Any, match: str) -> None:
    loader, _ = loader_for({**RESULT, "rows": rows}, id_column="id")
    with pytest.raises(ValueError, match=match):
        load(loader)


def test_a_column_the_result_lacks_is_named(load: Any) -> None:
    loader, _ = loader_for(RESULT, page_content_columns=["company", "revenue"])
    with pytest.raises(ValueError, match="no column 'revenue'; its columns are id, company"):
        load(loader)


@pytest.mark.parametrize("truncated", [True, None])
def test_a_truncated_result_is_refused_unless_accepted(load: Any, truncated: bool | None) -> None:
    result = {**RESULT, "truncated": truncated}
    with pytest.raises(TruncatedResultError, match="allow_truncated=True") as raised:
        load(loader_for(result)[0])
    assert raised.value.table_query_id == QUERY_ID
    assert raised.value.row_count == 2
    documents = load(loader_for(result, allow_truncated=True)[0])
    assert len(documents) == 2
    assert all(d.metadata["truncated"] is True for d in documents)


def test_zero_rows_are_no_documents(load: Any) -> None:
    assert load(loader_for({**RESULT, "rows": [], "row_count": 0}, id_column="id")[0]) == []


def test_edge_values_are_written_as_they_are(load: Any) -> None:
    rows = [{"a": 0.0, "b": 0, "c": False, "d": "", "e": {"x": 1}}]
    columns = [{"name": n, "type": "String"} for n in "abcde"]
    loader, _ = loader_for({**RESULT, "rows": rows, "columns": columns}, metadata_columns=["a"])
    document = load(loader)[0]
    assert document.page_content == 'b: 0\nc: false\nd: \ne: {"x": 1}'
    assert document.metadata["a"] == 0.0


def test_a_failed_query_is_raised(load: Any) -> None:
    script = Script([json_response(202, SUBMITTED), state("FAILURE", error="Syntax error")])
    loader = RoeTableLoader(sql="SELEC 1", client=mock_client(script))
    with pytest.raises(TableQueryError, match="Syntax error"):
        load(loader)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"sql": ""}, "sql"),
        ({"sql": "SELECT 1", "limit": 0}, "limit"),
        ({"sql": "SELECT 1", "wait_timeout": -1}, "wait_timeout"),
        ({"sql": "SELECT 1", "page_content_columns": "company"}, "list of column names"),
        ({"sql": "SELECT 1", "page_content_columns": []}, "at least one column"),
        ({"sql": "SELECT 1", "metadata_columns": [""]}, "metadata_columns"),
        ({"sql": "SELECT 1", "id_column": ""}, "id_column"),
    ],
)
def test_bad_arguments_are_refused_when_made(options: dict[str, Any], match: str) -> None:
    script = Script([json_response(202, SUBMITTED)])
    with pytest.raises(ValueError, match=match):
        RoeTableLoader(client=mock_client(script), **options)
    assert script.requests == []


@pytest.mark.parametrize("column", ["source", "row", "table_query_id", "truncated"])
def test_a_metadata_column_cannot_hide_the_loaders_own_keys(column: str) -> None:
    # A column `truncated` (false) in a truncated result would have marked its rows complete.
    script = Script([json_response(202, SUBMITTED)])
    with pytest.raises(ValueError, match=f"metadata_columns.*{column}"):
        RoeTableLoader(sql="SELECT 1", metadata_columns=[column], client=mock_client(script))
    assert script.requests == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_repeated_key_in_a_later_row_raises_before_any_document_is_handed_over(
    mode: str,
) -> None:
    loader, _ = loader_for({**RESULT, "rows": [ROWS[0], ROWS[1], ROWS[0]]}, id_column="id")
    handed: list[Document] = []

    async def collect() -> None:
        async for document in loader.alazy_load():
            handed.append(document)

    def consume() -> None:
        if mode == "sync":
            handed.extend(loader.lazy_load())
        else:
            asyncio.run(collect())

    with pytest.raises(ValueError, match="repeats the key"):
        consume()
    assert handed == []
