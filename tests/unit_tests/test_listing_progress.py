"""Listings that repeat themselves or never end: every job handed on once, and an end.

A server that ignores `page`, sends no `count`, links past its last page, or ignores `page_size`:
`list_jobs`, `from_agent` and the retriever each hand on a listed job once, stop a listing that
makes no progress with `InvalidResponseError` within `MAX_STALE_PAGES` + 1 requests, and the
retriever reads only the jobs it can return. Sync and async alike.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document

from langchain_roe import (
    AgentJobSummary,
    InvalidResponseError,
    RoeAgentJobResultLoader,
    RoeClient,
    RoeJobResultRetriever,
)
from langchain_roe._core._constants import MAX_STALE_PAGES
from langchain_roe._loaders._finding import MAX_SEARCH_PAGES
from tests.support.listing import EPOCH, TOPICS, JobTable, ListedJob, synthetic_job
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

BASE = "https://api.roe-ai.com"
JOBS = 25
#: Far more than any listing here holds: a load that gets this far never ends.
RUNAWAY = 2_000
#: The most requests a listing that makes no progress may take: its first page, then as many
#: pages bringing nothing new as are tolerated.
BOUND = MAX_STALE_PAGES + 1

#: The misbehaviours that make a listing come back on itself or never end.
NO_PROGRESS = {
    "ignores page": {"ignores_page"},
    "ignores page, no count": {"ignores_page", "uncounted"},
    "ignores page, no count, next forever": {"ignores_page", "uncounted", "endless"},
    "next forever": {"endless"},
    "next forever, no count": {"endless", "uncounted"},
}


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def a_table(faults: set[str]) -> JobTable:
    table = JobTable(LISTED_AGENT_ID, faults=set(faults))
    for position, agent_job_id in enumerate(job_ids(JOBS)):
        table.add(synthetic_job(agent_job_id, position))
    return table


def table_client(table: JobTable) -> RoeClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return json_response(*table.answer(BASE, request.url.path, request.url.query.decode()))

    return mock_client(Script([answer]))


def listed_until_it_stops(client: RoeClient, mode: str, **filters: Any) -> list[str]:
    """The ids `list_jobs` yields before it raises; AssertionError if it runs away instead."""
    seen: list[str] = []
    if mode == "sync":
        for job in client.list_jobs(LISTED_AGENT_ID, **filters):
            seen.append(job.id)
            assert len(seen) < RUNAWAY, "the listing never ended"
        return seen

    async def gather() -> None:
        async for job in client.alist_jobs(LISTED_AGENT_ID, **filters):
            seen.append(job.id)
            assert len(seen) < RUNAWAY, "the listing never ended"

    asyncio.run(gather())
    return seen


@pytest.mark.parametrize("faults", NO_PROGRESS.values(), ids=NO_PROGRESS.keys())
def test_list_jobs_hands_each_job_on_once_and_stops_a_listing_going_nowhere(
    mode: str, faults: set[str]
) -> None:
    table = a_table(faults)
    with pytest.raises(InvalidResponseError, match="cannot be a legitimate answer"):
        listed_until_it_stops(table_client(table), mode, page_size=10)
    # A repeating server is stopped at its third request; "next forever" alone once its three
    # real pages are read and the fourth is empty.
    assert table.requests == (BOUND if "ignores_page" in faults else 4)


@pytest.mark.parametrize("faults", NO_PROGRESS.values(), ids=NO_PROGRESS.keys())
def test_what_list_jobs_yields_before_it_stops_holds_each_job_once(
    mode: str, faults: set[str]
) -> None:
    table = a_table(faults)
    client = table_client(table)
    seen: list[str] = []

    def collect() -> None:
        if mode == "sync":
            for job in client.list_jobs(LISTED_AGENT_ID, page_size=10):
                seen.append(job.id)
                assert len(seen) < RUNAWAY
            return

        async def gather() -> None:
            async for job in client.alist_jobs(LISTED_AGENT_ID, page_size=10):
                seen.append(job.id)
                assert len(seen) < RUNAWAY

        asyncio.run(gather())

    with pytest.raises(InvalidResponseError):
        collect()
    assert len(seen) == len(set(seen))
    expected = JOBS if "ignores_page" not in faults else 10
    assert sorted(seen) == sorted(list(reversed(job_ids(JOBS)))[:expected])  # newest first


def page(results: list[dict[str, Any]], next_url: str | None) -> dict[str, Any]:
    return {"next": next_url, "previous": None, "results": results}


def summary(n: int) -> dict[str, Any]:
    return ListedJob(job_ids(n + 1)[n], EPOCH).summary()


def test_one_page_that_brings_nothing_new_is_a_shift_not_an_end(mode: str) -> None:
    """A newest-first listing read while jobs are created can repeat a page once: tolerated."""
    answers = [
        page([summary(0), summary(1)], f"{BASE}/p2"),
        page([summary(1), summary(0)], f"{BASE}/p3"),
        page([summary(2)], None),
    ]
    script = Script([json_response(200, a) for a in answers])
    seen = listed_until_it_stops(mock_client(script), mode)
    assert seen == job_ids(3)
    assert len(script.requests) == 3


def test_a_job_listed_again_later_is_yielded_once(mode: str) -> None:
    """The same job on pages 1 and 3 (not only on neighbouring pages): yielded the first time."""
    answers = [
        page([summary(0), summary(1)], f"{BASE}/p2"),
        page([summary(2)], f"{BASE}/p3"),
        page([summary(0), summary(3)], None),
    ]
    seen = listed_until_it_stops(
        mock_client(Script([json_response(200, a) for a in answers])), mode
    )
    assert seen == job_ids(4)


def test_the_same_id_in_another_case_is_the_same_job(mode: str) -> None:
    upper = {**summary(0), "id": job_ids(1)[0].upper()}
    answers = [page([summary(0)], f"{BASE}/p2"), page([upper, summary(1)], None)]
    seen = listed_until_it_stops(
        mock_client(Script([json_response(200, a) for a in answers])), mode
    )
    assert seen == job_ids(2)


# The loader over a listing: the same guarantees, through its units.


def load_into(documents: list[Document], loader: RoeAgentJobResultLoader, mode: str) -> None:
    """Append the Documents the loader yields to `documents` until it raises (or runs away)."""
    if mode == "sync":
        for document in loader.lazy_load():
            documents.append(document)
            assert len(documents) < RUNAWAY, "the load never ended"
        return

    async def gather() -> None:
        stream: AsyncIterator[Document] = loader.alazy_load()
        async for document in stream:
            documents.append(document)
            assert len(documents) < RUNAWAY, "the load never ended"

    asyncio.run(gather())


@pytest.fixture(params=list(NO_PROGRESS), ids=list(NO_PROGRESS))
def stuck_server(request: pytest.FixtureRequest) -> Iterator[LoopbackServer]:
    faults = NO_PROGRESS[request.param]
    config = ServerConfig(listed_jobs=JOBS, outputs=2, listing_faults=sorted(faults))
    with LoopbackServer(config) as running:
        yield running


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per job"])
def test_from_agent_loads_each_job_once_and_stops_a_listing_going_nowhere(
    stuck_server: LoopbackServer, mode: str, batch: bool
) -> None:
    client = RoeClient(api_key="loopback-key", base_url=stuck_server.base_url)
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client, page_size=10, batch_size=4, use_batch_endpoint=batch
    )
    documents: list[Document] = []
    with pytest.raises(InvalidResponseError, match="cannot be a legitimate answer"):
        load_into(documents, loader, mode)
    per_job = Counter(d.metadata["agent_job_id"] for d in documents)
    assert set(per_job.values()) <= {2}  # two outputs each, never a job's twice
    assert stuck_server.listing.requests <= BOUND + 2
    # Each job read once: none asked for twice, whatever reached the caller before the end.
    asked = Counter(stuck_server.results_read)
    assert set(asked.values()) <= {1}
    assert len(asked) <= JOBS


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per job"])
def test_from_agent_loads_a_repeating_listings_jobs_once_before_it_stops(
    mode: str, batch: bool
) -> None:
    """Documents collected as they come, until the listing is stopped: each job's once."""
    config = ServerConfig(listed_jobs=JOBS, outputs=2, listing_faults=["ignores_page", "uncounted"])
    with LoopbackServer(config) as server:
        client = RoeClient(api_key="loopback-key", base_url=server.base_url)
        loader = RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID,
            client=client,
            page_size=10,
            batch_size=3,
            use_batch_endpoint=batch,
            max_concurrency=1,
        )
        documents: list[Document] = []
        with pytest.raises(InvalidResponseError):
            load_into(documents, loader, mode)
        assert server.listing.requests == BOUND
        assert server.listing.pages == [1, 2, 3]
    per_job = Counter(d.metadata["agent_job_id"] for d in documents)
    assert set(per_job.values()) <= {2}  # two outputs each, never a job's twice
    assert Counter(server.results_read).most_common(1)[0][1] == 1


# The retriever: only the jobs it can return are read, and its page limit holds.

QUERY = " ".join(TOPICS)  # every synthetic job shares a word with it


def retrieve(retriever: RoeJobResultRetriever, mode: str, **kwargs: Any) -> list[Document]:
    if mode == "sync":
        return retriever.invoke(QUERY, **kwargs)
    return asyncio.run(retriever.ainvoke(QUERY, **kwargs))


@pytest.mark.parametrize("k", [1, 2, 5])
@pytest.mark.parametrize("search_type", ["semantic", "text"])
def test_the_retriever_reads_only_the_jobs_it_can_return(
    mode: str, k: int, search_type: str
) -> None:
    """A server that ignores `page_size` lists all 500 jobs on one page: k jobs are read."""
    config = ServerConfig(listed_jobs=500, outputs=1, listing_faults=["ignores_page_size"])
    with LoopbackServer(config) as server:
        retriever = RoeJobResultRetriever(
            agent_id=LISTED_AGENT_ID,
            k=k,
            search_type=search_type,
            api_key="loopback-key",
            base_url=server.base_url,
        )
        query = QUERY if search_type == "semantic" else "question"
        documents = (
            retriever.invoke(query) if mode == "sync" else asyncio.run(retriever.ainvoke(query))
        )
        assert len(documents) == k
        assert len(server.results_read) == k
        assert [d.metadata["rank"] for d in documents] == list(range(1, k + 1))
        assert server.listing.requests == 1


def test_the_retriever_reads_one_more_job_for_each_that_gives_nothing(mode: str) -> None:
    """Jobs that fail give no Document: the next ones are read, one batch per shortfall."""
    ids = job_ids(40)
    failed = [ids[-1], ids[-2]]  # the newest, first in the ranking's ties
    config = ServerConfig(
        listed_jobs=40, outputs=1, listing_faults=["ignores_page_size"], failed_ids=failed
    )
    with LoopbackServer(config) as server:
        for agent_job_id in failed:  # listed as succeeded, failed when read
            server.listing.jobs[agent_job_id].status = 3
        retriever = RoeJobResultRetriever(
            agent_id=LISTED_AGENT_ID, k=3, api_key="loopback-key", base_url=server.base_url
        )
        documents = retrieve(retriever, mode)
        assert len(documents) == 3
        assert len(server.results_read) == 5  # 3, of which 2 gave nothing; then 2 more
        assert failed[0] not in {d.metadata["agent_job_id"] for d in documents}


@pytest.mark.parametrize("k", [1, 3])
def test_the_retriever_reads_at_most_its_page_limit(mode: str, k: int) -> None:
    """No listed job has the output asked for: the query gives up after `MAX_SEARCH_PAGES`."""
    config = ServerConfig(listed_jobs=60, outputs=1)
    with LoopbackServer(config) as server:
        retriever = RoeJobResultRetriever(
            agent_id=LISTED_AGENT_ID,
            k=k,
            output_keys=["no_such_output"],
            api_key="loopback-key",
            base_url=server.base_url,
        )
        assert retrieve(retriever, mode) == []
        assert server.listing.requests == MAX_SEARCH_PAGES
        assert server.listing.pages == list(range(1, MAX_SEARCH_PAGES + 1))
        assert len(server.results_read) == k * MAX_SEARCH_PAGES


def test_list_jobs_items_are_summaries(mode: str) -> None:
    """The pager hands on the items themselves (typed summaries), not their ids."""
    table = a_table(set())
    client = table_client(table)
    if mode == "sync":
        first = next(iter(client.list_jobs(LISTED_AGENT_ID, page_size=5)))
    else:

        async def one() -> AgentJobSummary:
            async for job in client.alist_jobs(LISTED_AGENT_ID, page_size=5):
                return job
            raise AssertionError("nothing listed")

        first = asyncio.run(one())
    assert isinstance(first, AgentJobSummary)


def test_list_agents_stops_a_server_repeating_its_first_page(mode: str) -> None:
    agents = [{"id": job_ids(2)[n], "name": f"agent {n}"} for n in range(2)]
    script = Script(
        [
            lambda request: json_response(
                200,
                {
                    "next": f"{BASE}/v1/agents/?page={len(script.requests) + 1}",
                    "results": agents,
                },
            )
        ]
    )
    client = mock_client(script)
    seen: list[str] = []

    def collect() -> None:
        if mode == "sync":
            seen.extend(a.id for a in client.list_agents())
            return

        async def gather() -> None:
            seen.extend([a.id async for a in client.alist_agents()])

        asyncio.run(gather())

    with pytest.raises(InvalidResponseError, match="nothing new"):
        collect()
    assert len(script.requests) == BOUND
