"""`RoeJobResultRetriever` over the loopback server: ranking, k, filters and which errors raise."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from langchain_core.documents import Document

from langchain_roe import (
    ConfigurationError,
    RoeClient,
    RoeJobResultRetriever,
    ServerError,
)
from tests.support.listing import synthetic_job
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

IDS = job_ids(40)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    config = ServerConfig(listed_jobs=40, outputs=3, failed_ids=[IDS[5]], unknown_ids=[IDS[9]])
    with LoopbackServer(config) as running:
        yield running


def ask(retriever: RoeJobResultRetriever, query: str, mode: str, **kwargs: Any) -> list[Document]:
    if mode == "sync":
        return retriever.invoke(query, **kwargs)
    return asyncio.run(retriever.ainvoke(query, **kwargs))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(server: LoopbackServer, **options: Any) -> RoeJobResultRetriever:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    return RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, client=client, **options)


def test_documents_come_best_job_first_and_stop_at_k(server: LoopbackServer, mode: str) -> None:
    documents = ask(make(server, k=7, output_keys=["out1"]), "fraud sanctions", mode)
    assert len(documents) == 7  # one output asked for: one Document per job
    ranks = [d.metadata["rank"] for d in documents]
    assert ranks == list(range(1, 8))
    listed = [
        job
        for job in server.listing.jobs.values()
        if {"fraud", "sanctions"} & set(job.text.split())
    ]
    both = {j.agent_job_id for j in listed if {"fraud", "sanctions"} <= set(j.text.split())}
    firsts = [d.metadata["agent_job_id"] for d in documents[: len(both)]]
    assert set(firsts) == both  # the jobs sharing both words rank first
    assert all(d.metadata["key"] == "out1" for d in documents)


def test_k_counts_documents_and_a_call_may_change_it(server: LoopbackServer, mode: str) -> None:
    retriever = make(server, k=2)
    assert len(ask(retriever, "refund", mode)) == 2
    five = ask(retriever, "refund", mode, k=5)
    assert len(five) == 5  # three outputs of the best job, two of the next
    assert [d.metadata["rank"] for d in five] == [1, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="k must be a whole number between 1 and 100"):
        ask(retriever, "refund", mode, k=0)


def test_text_search_and_filters_reach_the_server(server: LoopbackServer, mode: str) -> None:
    asked: list[dict[str, list[str]]] = []
    real = server.listing.answer

    def answer(base_url: str, path: str, query: str) -> tuple[int, Any]:
        asked.append(parse_qs(query))
        return real(base_url, path, query)

    server.listing.answer = answer  # type: ignore[method-assign]
    retriever = make(
        server,
        k=3,
        search_type="text",
        version_name="version 3",
        metadata_filter={"region": "eu"},
        created_from="2026-11-02T09:10:00Z",
    )
    documents = ask(retriever, "c3", mode)
    assert asked[0] == {
        "search": ["c3"],
        "version_name": ["version 3"],
        "metadata": ['{"region":"eu"}'],
        "created_from": ["2026-11-02T09:10:00+00:00"],
        "page_size": ["3"],
    }
    assert {d.metadata["job_metadata_customer"] for d in documents} == {"c3"}
    assert {d.metadata["job_metadata_region"] for d in documents} == {"eu"}


def test_jobs_that_cannot_be_read_are_skipped_not_fatal(server: LoopbackServer, mode: str) -> None:
    """A failed job is not listed as succeeded; one the results endpoint does not know is skipped
    with a warning, and the retriever reads on to fill k."""
    server.listing.add(synthetic_job(IDS[9], 100))  # newest: first among equals
    for job in server.listing.jobs.values():
        job.text = "same words"
    documents = ask(make(server, k=6, output_keys="out0"), "same words", mode)
    got = [d.metadata["agent_job_id"] for d in documents]
    assert IDS[9] not in got
    assert IDS[5] not in got
    assert len(got) == 6


def test_an_outage_is_raised_not_answered_with_nothing(mode: str) -> None:
    listing = {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [synthetic_job(IDS[0], 0).summary()],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jobs/"):
            return json_response(200, listing)
        return json_response(503, {"detail": "down"})

    client = mock_client(Script([handler]), max_retries=1)
    retriever = RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, client=client)
    with pytest.raises(ServerError):
        ask(retriever, "anything", mode)


def test_no_match_is_an_empty_list_and_no_results_request(
    server: LoopbackServer, mode: str
) -> None:
    before = server.requests
    assert ask(make(server), "zeppelin", mode) == []
    assert server.requests == before + 1


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"agent_id": "agent-7"}, "agent_id must be a UUID"),
        ({"k": 0}, "k must be a whole number"),
        ({"k": 101}, "k must be a whole number"),
        ({"search_type": "vector"}, "search_type must be 'semantic' or 'text'"),
        ({"output_keys": []}, "output_keys is empty"),
        ({"created_from": "2026-11-02T09:00:00"}, "no time zone"),
        ({"metadata_filter": {"a": 1}}, "metadata keys and values must be strings"),
    ],
)
def test_bad_settings_are_refused_when_it_is_made(
    server: LoopbackServer, options: dict[str, Any], error: str
) -> None:
    values = {"agent_id": LISTED_AGENT_ID, **options}
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    with pytest.raises(ValueError, match=error):
        RoeJobResultRetriever(client=client, **values)
    assert server.requests == 0


def test_an_empty_query_is_refused_before_any_request(server: LoopbackServer, mode: str) -> None:
    with pytest.raises(ValueError, match="must be a non-empty string"):
        ask(make(server), "  ", mode)
    assert server.requests == 0


def test_the_key_is_never_quoted(server: LoopbackServer) -> None:
    secret = "sk-roe-retriever-0123456789"
    retriever = RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, api_key=secret)
    assert secret not in repr(retriever)
    assert secret not in str(retriever.model_dump())
    with pytest.raises(ConfigurationError) as caught:
        RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, api_key=secret[:10] + " " + secret[10:])
    assert secret[:10] not in str(caught.value)
    assert secret[10:] not in str(caught.value)
