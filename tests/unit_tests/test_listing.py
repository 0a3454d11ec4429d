"""Listing an agent's jobs: filters checked before any request, typed summaries, bounded pages."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from langchain_roe import AgentJobStatusCode, AgentJobSummary, InvalidResponseError, RoeClient
from langchain_roe._core._listing import job_filters
from tests.support.listing import EPOCH, JobTable, ListedJob, synthetic_job
from tests.support.loopback import job_ids
from tests.support.mock_api import Script, json_response, mock_client

AGENT = "7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d"
BASE = "https://api.roe-ai.com"


def collect(client: RoeClient, mode: str, **filters: Any) -> list[AgentJobSummary]:
    """Every summary `list_jobs` (sync) or `alist_jobs` (async) yields."""
    if mode == "sync":
        return list(client.list_jobs(AGENT, **filters))

    async def gather() -> list[AgentJobSummary]:
        return [job async for job in client.alist_jobs(AGENT, **filters)]

    return asyncio.run(gather())


def table_client(table: JobTable) -> tuple[RoeClient, Script]:
    """A client whose listing requests the table answers."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/v1/agents/{AGENT}/jobs/"
        status, body = table.answer(BASE, request.url.path, request.url.query.decode())
        return json_response(status, body)

    script = Script([answer])
    return mock_client(script), script


def a_table(count: int) -> JobTable:
    table = JobTable(AGENT)
    for position, agent_job_id in enumerate(job_ids(count)):
        table.add(synthetic_job(agent_job_id, position, status=4 if position == 2 else 3))
    if count > 2:
        table.jobs[job_ids(count)[2]].error_message = "The page could not be read."
    return table


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_pages_are_followed_and_summaries_typed(mode: str) -> None:
    client, script = table_client(a_table(25))
    jobs = collect(client, mode, page_size=10, ordering="created_at")
    assert [j.id for j in jobs] == job_ids(25)
    assert len(script.requests) == 3  # 10 + 10 + 5
    assert script.requests[0].url.params["page_size"] == "10"
    failed = jobs[2]
    assert failed.status is AgentJobStatusCode.FAILURE
    assert failed.error_message == "The page could not be read."
    assert jobs[0].error_message is None
    assert jobs[0].created_at == EPOCH
    assert jobs[1].created_at == EPOCH + timedelta(minutes=1)
    assert jobs[0].agent_version_name == "version 2"
    assert jobs[0].metadata == {"customer": "c0", "region": "us"}
    assert jobs[0].duration_ms == 28_000
    assert jobs[0].job_inputs is not None
    assert jobs[0].job_inputs[0].key == "question"


def test_filters_reach_the_server_as_the_spec_names_them(mode: str) -> None:
    client, script = table_client(a_table(3))
    collect(
        client,
        mode,
        created_from="2026-11-02T09:00:00Z",
        created_to=datetime(2026, 11, 3, tzinfo=timezone(timedelta(hours=2))),
        status=AgentJobStatusCode.SUCCESS,
        version_name="version 3",
        metadata={"customer": "c1"},
        search="refund",
        ordering=["-created_at", "id"],
        page_size=50,
        limit=0,
    )
    params = dict(script.requests[0].url.params)
    assert params == {
        "created_from": "2026-11-02T09:00:00+00:00",
        "created_to": "2026-11-03T00:00:00+02:00",
        "status_code": "3",
        "version_name": "version 3",
        "metadata": json.dumps({"customer": "c1"}, separators=(",", ":")),
        "search": "refund",
        "ordering": "-created_at,id",
        "page_size": "50",
        "limit": "0",
    }


def test_the_server_filters_what_it_is_asked_to(mode: str) -> None:
    client, _ = table_client(a_table(20))
    since = EPOCH + timedelta(minutes=15)
    assert [j.id for j in collect(client, mode, created_from=since)] == job_ids(20)[15:][::-1]
    assert {j.status for j in collect(client, mode, status=4)} == {AgentJobStatusCode.FAILURE}
    chosen = collect(client, mode, metadata={"customer": "c3"})
    assert {j.metadata["customer"] for j in chosen if j.metadata} == {"c3"}
    assert len(chosen) == 4


def test_an_empty_listing_yields_nothing(mode: str) -> None:
    client, script = table_client(JobTable(AGENT))
    assert collect(client, mode) == []
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"created_from": datetime(2026, 11, 2, 9, 0)}, "created_from has no time zone"),
        ({"created_to": "2026-11-02T09:00:00"}, "created_to has no time zone"),
        ({"created_from": "yesterday"}, "created_from must be an ISO 8601 time"),
        ({"created_from": 1700000000}, "created_from must be a datetime or an ISO 8601 string"),
        (
            {"created_from": "2026-11-03T00:00:00Z", "created_to": "2026-11-02T00:00:00Z"},
            "is after created_to",
        ),
        ({"status": 9}, "status must be an AgentJobStatusCode"),
        ({"status": True}, "status must be an AgentJobStatusCode"),
        ({"status": "SUCCESS"}, "status must be an AgentJobStatusCode"),
        ({"search": "  "}, "search must be a non-empty string"),
        ({"semantic_string": ""}, "semantic_string must be a non-empty string"),
        ({"version_name": 3}, "version_name must be a non-empty string"),
        ({"metadata": {}}, "metadata must be a non-empty mapping"),
        ({"metadata": {"n": 1}}, "metadata keys and values must be strings"),
        ({"ordering": "newest"}, "ordering 'newest' is not one of"),
        ({"ordering": []}, "ordering must be a field name"),
        ({"page_size": 0}, "page_size must be a whole number between 1 and 1000"),
        ({"page_size": 1001}, "page_size must be a whole number between 1 and 1000"),
        ({"limit": -1}, "limit must be a whole number between 0 and 1000000"),
    ],
)
def test_a_bad_filter_is_refused_before_any_request(
    mode: str, filters: dict[str, Any], message: str
) -> None:
    client, script = table_client(a_table(3))
    with pytest.raises(ValueError, match=message):
        collect(client, mode, **filters)
    assert script.requests == []


def test_a_bad_agent_id_is_refused_before_any_request() -> None:
    client, script = table_client(a_table(3))
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        client.list_jobs("not-an-agent")
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        client.alist_jobs("../../v1/agents")
    assert script.requests == []


def test_filters_are_checked_when_the_iterator_is_made_not_when_it_is_read() -> None:
    client, _ = table_client(a_table(3))
    with pytest.raises(ValueError, match="no time zone"):
        client.list_jobs(AGENT, created_from="2026-11-02T09:00:00")  # no next() needed


def test_edge_times_keep_their_offset_and_microseconds() -> None:
    params = job_filters(created_from=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC))
    assert params == {"created_from": "2026-01-01T00:00:00.000001+00:00"}
    assert job_filters(created_from="2026-01-01T00:00:00-05:00") == {
        "created_from": "2026-01-01T00:00:00-05:00"
    }
    assert job_filters(status=AgentJobStatusCode.PENDING) == {"status_code": "0"}  # 0 is a status


def page(results: list[dict[str, Any]], next_url: str | None, count: int = 10) -> dict[str, Any]:
    return {"count": count, "next": next_url, "previous": None, "results": results}


def item(n: int) -> dict[str, Any]:
    return ListedJob(job_ids(n + 1)[n], EPOCH).summary()


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ([page([item(0)], "https://elsewhere.example/v1/agents/x/jobs/?page=2")], "another host"),
        ([page([item(0)], "http://api.roe-ai.com/v1/agents/x/jobs/?page=2")], "another host"),
        ([page([item(0)], "https://api.roe-ai.com:8443/x/?page=2")], "another host"),
        ([page([item(0)], f"{BASE}/p2\n")], "not a usable URL"),
        ([page([item(0)], f"{BASE}/p2?x=\t1")], "not a usable URL"),
        ([page([item(0)], f"{BASE}/p 2")], "not a usable URL"),
        ([page([], f"{BASE}/p2"), page([], f"{BASE}/p3")], "links an empty page"),
        ([page([item(0)], f"{BASE}/p2"), page([item(1)], f"{BASE}/p2")], "links back"),
        ([page([item(n) for n in range(3)], f"{BASE}/p2", count=2)], "more items than its count"),
    ],
)
def test_pages_that_leave_never_end_or_loop_stop(
    mode: str, answers: list[dict[str, Any]], problem: str
) -> None:
    script = Script([json_response(200, a) for a in answers])
    client = mock_client(script)
    with pytest.raises(InvalidResponseError, match=problem):
        collect(client, mode)
    assert len(script.requests) <= 2
    assert all(r.url.host == "api.roe-ai.com" for r in script.requests)


def test_summary_fields_of_the_wrong_type_read_as_unknown(mode: str) -> None:
    odd = {
        "id": job_ids(1)[0],
        "status_code": "three",
        "created_at": "not a time",
        "agent_version_name": 7,
        "duration_ms": "long",
        "status_events": "none",
        "job_inputs": {"key": "x"},
        "metadata": ["a"],
        "feedback_review": {"anything": True},
    }
    script = Script([json_response(200, page([odd], None, count=1))])
    (job,) = collect(mock_client(script), mode)
    assert job.id == job_ids(1)[0]
    assert job.status is None
    assert job.created_at is None
    assert job.agent_version_name is None
    assert job.duration_ms is None
    assert job.error_message is None
    assert job.metadata is None


def test_a_summary_without_an_id_makes_the_page_invalid(mode: str) -> None:
    script = Script([json_response(200, page([{"status_code": 3}], None, count=1))])
    with pytest.raises(InvalidResponseError, match="unexpected answer"):
        collect(mock_client(script), mode)


def test_list_jobs_takes_exactly_the_listings_filters() -> None:
    """`list_jobs`, `alist_jobs` and `job_filters` take their filters from one typed definition."""
    import inspect
    import typing

    from langchain_roe._core._listing import JobFilters

    for function in (RoeClient.list_jobs, RoeClient.alist_jobs, job_filters):
        (filters,) = [
            p for p in inspect.signature(function).parameters.values() if p.kind is p.VAR_KEYWORD
        ]
        assert typing.get_args(typing.get_type_hints(function)[filters.name]) == (JobFilters,)
    assert set(JobFilters.__annotations__) == {
        "created_from",
        "created_to",
        "status",
        "version_name",
        "metadata",
        "search",
        "semantic_string",
        "ordering",
        "page_size",
        "limit",
    }


def test_a_filter_the_listing_lacks_is_refused_before_any_request(mode: str) -> None:
    script = Script([])
    client = mock_client(script)
    listing = client.list_jobs if mode == "sync" else client.alist_jobs
    with pytest.raises(TypeError, match="no filter crated_from"):
        listing(AGENT, crated_from="2026-01-01T00:00:00Z")  # type: ignore[call-arg]
    assert script.requests == []
