"""The retriever and `from_agent` against recorded sessions, and the standard retriever suite.

The sessions are built from the documented payloads (tests/cassettes/README.md); the semantic
ranking in them is the fake API's stand-in, since nothing public shows the server's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from langchain_roe import RoeAgentJobResultLoader, RoeClient, RoeJobResultRetriever
from tests.support import example_jobs as jobs
from tests.support.cassettes import SEMANTIC_QUERY, TEXT_QUERY
from tests.support.listing import LISTED_AGENT_ID

REPLAYED_KEY = "replayed-key-filtered-from-cassettes"
#: The example jobs that succeeded, in the listing's (creation) order.
SUCCEEDED = [jobs.WEB, jobs.CACHED, jobs.DOCS, jobs.PDF, jobs.MULTIMODAL, jobs.AML]


@pytest.mark.vcr("retriever_semantic.yaml")
class TestRoeJobResultRetrieverIntegration(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[RoeJobResultRetriever]:
        return RoeJobResultRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"agent_id": LISTED_AGENT_ID, "api_key": REPLAYED_KEY, "k": 3}

    @property
    def retriever_query_example(self) -> str:
        return SEMANTIC_QUERY


def retriever(**options: Any) -> RoeJobResultRetriever:
    return RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, api_key=REPLAYED_KEY, **options)


@pytest.mark.vcr("retriever_semantic.yaml")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_semantic_results_come_in_the_servers_ranking_with_their_rank(mode: str) -> None:
    found = retriever(k=4)
    documents = (
        found.invoke(SEMANTIC_QUERY)
        if mode == "sync"
        else asyncio.run(found.ainvoke(SEMANTIC_QUERY))
    )
    assert len(documents) == 4
    assert documents[0].metadata["agent_job_id"] == jobs.AML  # its alert names cash deposits
    ranks = [d.metadata["rank"] for d in documents]
    assert ranks == sorted(ranks)
    assert ranks[0] == 1
    assert all(d.metadata["job_metadata_team"] for d in documents)
    assert documents[0].metadata["job_metadata_team"] == "risk"


@pytest.mark.vcr("retriever_text.yaml")
def test_text_search_finds_the_job_that_says_it() -> None:
    (document,) = retriever(search_type="text").invoke(TEXT_QUERY, k=1)
    assert document.metadata["agent_job_id"] == jobs.MULTIMODAL
    assert document.metadata["rank"] == 1
    assert len(retriever(search_type="text").invoke(TEXT_QUERY, k=4)) == 1  # one job says it


@pytest.mark.vcr("loader_from_agent.yaml")
def test_from_agent_loads_the_succeeded_jobs_in_listing_order() -> None:
    client = RoeClient(api_key=REPLAYED_KEY)
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client, page_size=3, batch_size=3
    )
    documents = loader.load()
    order = list(dict.fromkeys(d.metadata["agent_job_id"] for d in documents))
    assert order == SUCCEEDED
    cached = [d for d in documents if d.metadata["agent_job_id"] == jobs.CACHED]
    assert {d.metadata["status"] for d in cached} == {"CACHED"}
    assert all(d.metadata["agent_version_name"] == "version 1" for d in documents)
    assert documents[0].metadata["created_at"] == "2026-11-02T09:00:00+00:00"
    assert loader.failures == {}


@pytest.mark.vcr("loader_from_agent_since.yaml")
def test_from_agent_since_a_time_loads_only_the_later_jobs() -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=RoeClient(api_key=REPLAYED_KEY), created_from="2026-11-02T09:04:00Z"
    )
    order = list(dict.fromkeys(d.metadata["agent_job_id"] for d in loader.load()))
    assert order == [jobs.DOCS, jobs.PDF, jobs.MULTIMODAL, jobs.AML]
