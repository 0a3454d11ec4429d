"""References loaded once per job, and synced without losing them to a failure for now.

A file two outputs cite is one Document (one id), fetched once, its citing outputs in its metadata;
a parser's several Documents per file have distinct ids; and `index_agent_jobs` with
`load_references=True` holds back a job whose reference failed for now (503), so incremental
cleanup never deletes that job's Documents. Sync and async alike, over the loopback server.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.document_loaders import BaseBlobParser
from langchain_core.documents import Document
from langchain_core.documents.base import Blob
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import IndexingResult, InMemoryRecordManager
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeClient,
    ServerError,
    aindex_agent_jobs,
    index_agent_jobs,
)
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.references import resource_ids

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOBS = 4
IDS = job_ids(JOBS)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def served(**config: Any) -> LoopbackServer:
    defaults: dict[str, Any] = {"outputs": 3, "references": 2, "citing_outputs": 2}
    return LoopbackServer(ServerConfig(listed_jobs=JOBS, **{**defaults, **config}))


def client_for(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url, max_retries=1)


def load(loader: RoeAgentJobResultLoader, mode: str) -> list[Document]:
    return loader.load() if mode == "sync" else asyncio.run(loader.aload())


def references(documents: list[Document]) -> list[Document]:
    return [d for d in documents if d.metadata.get("reference")]


@pytest.mark.parametrize("listed", [False, True], ids=["by id", "from_agent"])
def test_a_file_two_outputs_cite_is_one_document_fetched_once(mode: str, listed: bool) -> None:
    with served() as server:
        client = client_for(server)
        loader = (
            RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client, load_references=True)
            if listed
            else RoeAgentJobResultLoader(IDS, client=client, load_references=True)
        )
        documents = load(loader, mode)
        read = Counter(server.references_read)
    cited = references(documents)
    assert len(cited) == 2 * JOBS  # two files a job, each once though two outputs cite it
    assert len({d.id for d in documents}) == len(documents)  # no id twice, in any batch
    assert set(read.values()) == {1}  # each file fetched once
    assert len(read) == 2 * JOBS
    for document in cited:
        assert document.metadata["key"] == "out0"  # its first citation
        assert document.metadata["output_index"] == 0
        assert json.loads(document.metadata["cited_by"]) == ["out0", "out1"]
        assert isinstance(document.metadata["cited_by"], str)  # flat: any vector store takes it
    # Each job's files follow the first output citing them, before its next output.
    first_job = [d for d in documents if d.metadata["agent_job_id"] == IDS[0]]
    shape = [d.metadata.get("resource_id", d.metadata["key"]) for d in first_job]
    assert shape == ["out0", *resource_ids(IDS[0], server.config), "out1", "out2"]
    assert loader.failures == {}


def test_the_citing_outputs_are_those_loaded(mode: str) -> None:
    """With `output_keys=["out1"]`, the file follows out1, the one loaded output citing it."""
    with served() as server:
        loader = RoeAgentJobResultLoader(
            IDS[:1], client=client_for(server), load_references=True, output_keys=["out1"]
        )
        documents = load(loader, mode)
    cited = references(documents)
    assert len(cited) == 2
    assert {d.metadata["key"] for d in cited} == {"out1"}
    assert all("cited_by" not in d.metadata for d in cited)  # one citing output: its key says it


def test_a_file_one_output_cites_twice_is_one_document(mode: str) -> None:
    """The same output citing a file by URL and by resource id: one Document."""
    with served(outputs=1, citing_outputs=1) as server:
        loader = RoeAgentJobResultLoader(IDS[:1], client=client_for(server), load_references=True)
        documents = load(loader, mode)
    assert len(references(documents)) == 2
    assert len({d.id for d in documents}) == len(documents)


class Pages(BaseBlobParser):
    """A parser that makes three Documents of every file (its pages, say)."""

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        for page in range(3):
            yield Document(page_content=f"page {page} of {blob.source}", metadata={"page": page})


def test_a_parsers_documents_of_one_file_have_distinct_stable_ids(mode: str) -> None:
    with served(outputs=1, references=4, citing_outputs=1) as server:  # md, html, png, json
        loader = RoeAgentJobResultLoader(
            IDS[:2], client=client_for(server), load_references=True, reference_parser=Pages()
        )
        first, again = load(loader, mode), load(loader, mode)
    pages = [d for d in references(first) if d.metadata["resource_id"].endswith(".png")]
    assert [d.metadata["page"] for d in pages] == [0, 1, 2, 0, 1, 2]
    assert len({d.id for d in pages}) == 6  # three per file, two files: all distinct
    assert len({d.id for d in first}) == len(first)
    assert [d.id for d in first] == [d.id for d in again]  # loading again updates, never doubles


# Incremental sync: a reference failing for now must not cost the job its Documents.


def fresh_index() -> tuple[InMemoryRecordManager, InMemoryVectorStore]:
    records = InMemoryRecordManager(namespace="roe/reference-sync")
    records.create_schema()
    return records, InMemoryVectorStore(DeterministicFakeEmbedding(size=8))


def sync(
    loader: RoeAgentJobResultLoader,
    records: InMemoryRecordManager,
    store: InMemoryVectorStore,
    mode: str,
) -> IndexingResult:
    options: dict[str, Any] = {"batch_size": 5, "cleanup": "incremental", "key_encoder": "sha256"}
    if mode == "sync":
        return index_agent_jobs(loader, records, store, **options)
    return asyncio.run(aindex_agent_jobs(loader, records, store, **options))


def stored(store: InMemoryVectorStore, agent_job_id: str) -> set[str]:
    """The ids of the job's Documents in the store."""
    return {key for key, d in store.store.items() if d["metadata"]["agent_job_id"] == agent_job_id}


@pytest.mark.parametrize("listed", [False, True], ids=["by id", "from_agent"])
def test_a_reference_failing_for_now_never_makes_cleanup_delete_its_jobs_documents(
    mode: str, listed: bool
) -> None:
    records, store = fresh_index()
    with served() as server:
        client = client_for(server)

        def loader() -> RoeAgentJobResultLoader:
            if listed:
                return RoeAgentJobResultLoader.from_agent(
                    LISTED_AGENT_ID, client=client, load_references=True, continue_on_failure=True
                )
            return RoeAgentJobResultLoader(
                IDS, client=client, load_references=True, continue_on_failure=True
            )

        first = sync(loader(), records, store, mode)
        per_job = 3 + 2  # three outputs, two files
        assert first["num_added"] == JOBS * per_job
        before = {agent_job_id: stored(store, agent_job_id) for agent_job_id in IDS}
        flaky = IDS[1]
        server.failing_references = {f"{flaky}/{resource_ids(flaky, server.config)[1]}": 503}

        held = loader()
        again = sync(held, records, store, mode)
        assert again["num_deleted"] == 0  # none of the job's Documents, references included
        assert again["num_added"] == 0
        assert again["num_skipped"] == (JOBS - 1) * per_job  # the others, unchanged
        assert stored(store, flaky) == before[flaky]
        assert isinstance(held.failures[flaky], ServerError)  # said, not silent

        server.failing_references = {}
        recovered = sync(loader(), records, store, mode)
        assert recovered == {
            "num_added": 0,
            "num_updated": 0,
            "num_skipped": JOBS * per_job,
            "num_deleted": 0,
        }
        assert {a: stored(store, a) for a in IDS} == before


def test_a_reference_gone_for_good_is_cleaned_up(mode: str) -> None:
    """A 404 is not a failure for now: the job is indexed without the file, whose Document goes."""
    records, store = fresh_index()
    with served() as server:
        loader = RoeAgentJobResultLoader(
            IDS, client=client_for(server), load_references=True, continue_on_failure=True
        )
        sync(loader, records, store, mode)
        gone_for_good = resource_ids(IDS[1], server.config)[1]
        server.failing_references = {f"{IDS[1]}/{gone_for_good}": 404}
        gone = sync(loader, records, store, mode)
    assert gone["num_deleted"] == 1  # that file's Document, and nothing else
    assert gone["num_added"] == 0
    left = {
        (d["metadata"]["agent_job_id"], d["metadata"].get("resource_id"))
        for d in store.store.values()
    }
    assert (IDS[1], gone_for_good) not in left
    assert (IDS[0], gone_for_good) in left  # another job's file of the same name stays
