"""`RoeAgentJobResultLoader.from_agent`: an agent's listed jobs, streamed into the same Documents."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_roe import (
    InvalidResponseError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RoeAgentJobResultLoader,
    RoeClient,
)
from tests.support.listing import EPOCH, JobTable, synthetic_job
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOBS = 30
IDS = job_ids(JOBS)
FAILED, RUNNING = IDS[3], IDS[7]
LISTED = ("created_at", "agent_version_name", "job_metadata_customer", "job_metadata_region")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    config = ServerConfig(listed_jobs=JOBS, outputs=2, failed_ids=[FAILED], running_ids=[RUNNING])
    with LoopbackServer(config) as running:
        yield running


def client_for(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url)


def load(loader: RoeAgentJobResultLoader, mode: str) -> list[Document]:
    return loader.load() if mode == "sync" else asyncio.run(loader.aload())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_documents_are_the_loaders_own_plus_what_the_listing_says(
    server: LoopbackServer, mode: str
) -> None:
    client = client_for(server)
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client, page_size=7, batch_size=5
    )
    listed = load(loader, mode)
    succeeded = [i for i in IDS if i not in (FAILED, RUNNING)]
    by_ids = RoeAgentJobResultLoader(succeeded, client=client).load()
    assert [d.id for d in listed] == [d.id for d in by_ids]  # same ids, same (listing) order
    for got, plain in zip(listed, by_ids, strict=True):
        assert got.page_content == plain.page_content
        extra = {k: v for k, v in got.metadata.items() if k not in plain.metadata}
        assert {k: got.metadata[k] for k in plain.metadata} == plain.metadata
        assert set(extra) == set(LISTED)
    position = IDS.index(listed[0].metadata["agent_job_id"])
    assert listed[0].metadata["created_at"] == (EPOCH + timedelta(minutes=position)).isoformat()
    assert listed[0].metadata["job_metadata_customer"] == f"c{position % 5}"
    assert all(isinstance(v, str | int | float | bool) for d in listed for v in d.metadata.values())
    assert loader.failures == {}


def test_jobs_not_succeeded_are_skipped_unless_asked_for(server: LoopbackServer, mode: str) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=client_for(server),
        only_succeeded=False,
        continue_on_failure=True,
    )
    documents = load(loader, mode)
    assert len({d.metadata["agent_job_id"] for d in documents}) == JOBS - 2
    assert isinstance(loader.failures[FAILED], JobFailedError)
    assert isinstance(loader.failures[RUNNING], JobNotFinishedError)
    strict = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client_for(server), only_succeeded=False
    )
    with pytest.raises(JobFailedError):
        load(strict, mode)


def test_the_listing_is_read_as_the_documents_are_wanted(server: LoopbackServer) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client_for(server), page_size=2, batch_size=2, max_concurrency=1
    )
    first = next(iter(loader.lazy_load()))
    assert first.metadata["agent_job_id"] == IDS[0]
    assert server.listing.requests <= 2  # 15 pages in all; only what the first unit needed


def test_filters_reach_the_listing(server: LoopbackServer, mode: str) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=client_for(server),
        created_from=EPOCH + timedelta(minutes=10),
        created_to=(EPOCH + timedelta(minutes=25)).isoformat(),
        version_name="version 3",
        metadata={"region": "eu"},
        search="c1",
    )
    documents = load(loader, mode)
    positions = sorted({IDS.index(d.metadata["agent_job_id"]) for d in documents})
    # created 10..25, version 3 (position % 4 != 0), region eu (odd), customer c1 (position % 5 == 1)
    assert positions == [p for p in range(10, 26) if p % 4 and p % 2 and p % 5 == 1]
    assert positions == [11, 21]


def test_an_empty_listing_loads_nothing_and_asks_no_results(server: LoopbackServer) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client_for(server), search="no job says this"
    )
    before = server.requests
    assert loader.load() == []
    assert server.requests == before + 1  # the listing page, and no batch request


def test_an_unknown_agent_raises_even_when_continuing_past_failures(
    server: LoopbackServer, mode: str
) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        "00000000-0000-4000-8000-00000000abcd", client=client_for(server), continue_on_failure=True
    )
    with pytest.raises(NotFoundError):
        load(loader, mode)


def test_the_per_job_path_gives_the_same_documents(server: LoopbackServer, mode: str) -> None:
    client = client_for(server)
    batch = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client).load()
    single = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client, use_batch_endpoint=False
    )
    got = load(single, mode)
    assert [d.id for d in got] == [d.id for d in batch]
    assert [d.metadata["created_at"] for d in got] == [d.metadata["created_at"] for d in batch]


def test_jobs_created_during_a_listing_are_loaded_once(server: LoopbackServer, mode: str) -> None:
    """Oldest first: a job created while the listing runs lands at its end, shifting nothing."""
    table = server.listing
    real = table.answer
    late = "b0000000-0000-4000-8000-00000000000a"

    def answer(base_url: str, path: str, query: str) -> tuple[int, Any]:
        answered = real(base_url, path, query)
        if late not in table.jobs:
            table.add(synthetic_job(late, JOBS + 5))
        return answered

    table.answer = answer  # type: ignore[method-assign]
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client_for(server), page_size=4
    )
    documents = load(loader, mode)
    listed = [d.metadata["agent_job_id"] for d in documents[::2]]
    assert listed[-1] == late
    assert len(listed) == len(set(listed)) == JOBS - 2 + 1


def test_a_server_whose_pages_shift_does_not_double_a_job(mode: str) -> None:
    """A server that ignores `ordering` and lists newest first, with a job created after its first
    page: the first page's last job comes again at the top of the second; it loads once."""
    table = JobTable(LISTED_AGENT_ID)
    for position, agent_job_id in enumerate(job_ids(6)):
        table.add(synthetic_job(agent_job_id, position))
    late = "b0000000-0000-4000-8000-00000000000b"
    results = {"ok": 0}

    def handler(request: Any) -> Any:
        if request.url.path.endswith("/jobs/"):
            query = "&".join(f"{k}={v}" for k, v in request.url.params.items() if k != "ordering")
            answered = table.answer("https://api.roe-ai.com", request.url.path, query)
            if late not in table.jobs:
                table.add(synthetic_job(late, 10))
            return json_response(*answered)
        asked = json.loads(request.content)["job_ids"]
        results["ok"] += len(asked)
        item = {"status": 3, "result": [{"key": "k", "data_type": "text/plain", "value": "v"}]}
        return json_response(200, [{**item, "id": i} for i in asked])

    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=mock_client(Script([handler])), page_size=3, batch_size=3
    )
    documents = load(loader, mode)
    loaded = [d.metadata["agent_job_id"] for d in documents]
    assert sorted(loaded) == sorted(job_ids(6))  # the late job was not listed: it came after
    assert results["ok"] == 6


def test_job_metadata_values_are_flattened_to_strings(mode: str) -> None:
    summary = synthetic_job(job_ids(1)[0], 0).summary()
    summary["metadata"] = {"ticket": "T-1", "priority": 2, "tags": ["a", "b"], "empty": ""}
    listing: dict[str, Any] = {"count": 1, "next": None, "previous": None, "results": [summary]}
    item = {
        "id": job_ids(1)[0],
        "status": 3,
        "result": [{"key": "k", "data_type": "text/plain", "value": "v", "cost": 0.0}],
    }
    script = Script(
        [lambda r: json_response(200, listing if r.url.path.endswith("/jobs/") else [item])]
    )
    (document,) = load(
        RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=mock_client(script)), mode
    )
    assert document.metadata["job_metadata_ticket"] == "T-1"
    assert document.metadata["job_metadata_priority"] == "2"
    assert document.metadata["job_metadata_tags"] == '["a","b"]'
    assert document.metadata["job_metadata_empty"] == ""
    assert document.metadata["cost"] == 0.0  # a cost of zero is kept, not dropped


def test_a_listing_at_the_servers_count_cap_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listing: dict[str, Any] = {"count": 100_000, "next": None, "previous": None, "results": []}
    script = Script([json_response(200, listing)])
    loader = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=mock_client(script))
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        assert loader.load() == []
    assert "most recent 100000" in caplog.text


def test_progress_takes_its_total_from_the_listing(
    server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client_for(server), page_size=10, show_progress=True
    )
    loader.load()
    err = capsys.readouterr().err
    assert "30/30" in err  # 28 loaded and 2 skipped, of the listing's count of 30
    assert "page=3" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"created_from": "2026-11-02T09:00:00"}, "no time zone"),
        ({"page_size": 0}, "page_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"output_keys": []}, "output_keys is empty"),
        ({"metadata": {"a": 1}}, "metadata keys and values must be strings"),
    ],
)
def test_bad_options_are_refused_before_any_request(
    server: LoopbackServer, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client_for(server), **options)
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        RoeAgentJobResultLoader.from_agent("agent-7", client=client_for(server))
    assert server.requests == 0


def test_a_job_removed_during_the_listing_is_warned_about(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Oldest first, a job removed from a page already read shifts the next page's first job onto
    it: that job is missed, so the loader says the listing shrank and to load again."""
    table = server.listing
    real = table.answer

    def answer(base_url: str, path: str, query: str) -> tuple[int, Any]:
        answered = real(base_url, path, query)
        if IDS[0] in table.jobs:
            with table.lock:
                del table.jobs[IDS[0]]
        return answered

    table.answer = answer  # type: ignore[method-assign]
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client_for(server), page_size=10
    )
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        documents = loader.load()
    loaded = {d.metadata["agent_job_id"] for d in documents}
    assert IDS[10] not in loaded  # shifted onto page one after it was read: the case warned about
    assert "lost 1 job(s) while it was read (page 2)" in caplog.text
    quiet = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client_for(server))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        quiet.load()
    assert "lost" not in caplog.text  # a listing that holds still says nothing


def _listing_with_a_bad_id() -> tuple[Script, list[str]]:
    good = job_ids(2)
    summaries = [synthetic_job(good[0], 0).summary(), synthetic_job(good[1], 1).summary()]
    bad = {**summaries[0], "id": "not-a-job-id"}
    listing = {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [summaries[0], bad, summaries[1]],
    }

    def handler(request: Any) -> Any:
        if request.url.path.endswith("/jobs/"):
            return json_response(200, listing)
        if request.url.path.endswith("/result/"):  # the per-job path
            return json_response(
                200, {"outputs": [{"key": "k", "data_type": "text/plain", "value": "v"}]}
            )
        item = {"status": 3, "result": [{"key": "k", "data_type": "text/plain", "value": "v"}]}
        return json_response(
            200, [{**item, "id": i} for i in json.loads(request.content)["job_ids"]]
        )

    return Script([handler]), good


@pytest.mark.parametrize("batch", [True, False])
def test_a_listed_id_that_is_no_uuid_fails_that_job_alone(mode: str, batch: bool) -> None:
    script, good = _listing_with_a_bad_id()
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=mock_client(script),
        continue_on_failure=True,
        use_batch_endpoint=batch,
    )
    documents = load(loader, mode)
    assert sorted(d.metadata["agent_job_id"] for d in documents) == sorted(good)
    assert list(loader.failures) == ["not-a-job-id"]
    assert isinstance(loader.failures["not-a-job-id"], InvalidResponseError)
    assert "not a UUID" in loader.failures["not-a-job-id"].message


def test_a_listed_id_that_is_no_uuid_raises_without_continue_on_failure(mode: str) -> None:
    script, _ = _listing_with_a_bad_id()
    loader = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=mock_client(script))
    with pytest.raises(InvalidResponseError, match="not a UUID"):
        load(loader, mode)
