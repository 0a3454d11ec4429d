"""The incremental-sync recipe, run three times against the loopback server.

Run 1 indexes every job; run 2, nothing changed, adds and deletes nothing; run 3, after one new job
and one reviewer's correction, adds only the new job's Documents and replaces the corrected job's.
Each job has three outputs and the batch size is 4, so jobs straddle `index()`'s batches: the case
`index_agent_jobs` exists for. `index()` itself is checked too, both where it holds (a batch size
no job straddles) and where it does not (the same small batch size).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager, index
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeClient,
    aindex_agent_jobs,
    index_agent_jobs,
)
from tests.support.listing import EPOCH, synthetic_job
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids

pytestmark = [
    pytest.mark.enable_socket,
    pytest.mark.allow_hosts(["127.0.0.1"]),
    pytest.mark.filterwarnings("ignore:Using SHA-1:UserWarning"),
]

JOBS, OUTPUTS = 10, 3
SMALL_BATCH = 4  # not a multiple of 3: most jobs straddle two batches


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(listed_jobs=JOBS, outputs=OUTPUTS)) as running:
        yield running


class Index:
    """A vector store and its record manager, indexed into the way the recipe says."""

    def __init__(self, server: LoopbackServer, how: str, batch_size: int) -> None:
        self.client = RoeClient(api_key="loopback-key", base_url=server.base_url)
        self.records = InMemoryRecordManager(f"roe/{LISTED_AGENT_ID}")
        self.records.create_schema()
        self.store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
        self.how, self.batch_size = how, batch_size

    def sync(self, **filters: Any) -> Any:
        loader = RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, client=self.client, prefer_corrected_outputs=True, **filters
        )
        options: dict[str, Any] = {"batch_size": self.batch_size, "key_encoder": "sha256"}
        if self.how == "index_agent_jobs":
            return dict(index_agent_jobs(loader, self.records, self.store, **options))
        if self.how == "aindex_agent_jobs":
            return dict(asyncio.run(aindex_agent_jobs(loader, self.records, self.store, **options)))
        result = index(
            loader,
            self.records,
            self.store,
            cleanup="incremental",
            source_id_key="agent_job_id",
            **options,
        )
        return dict(result)

    def contents(self) -> dict[str, str]:
        """Each stored Document's (job, key) and text."""
        stored = self.store.store.values()
        return {
            f"{d['metadata']['agent_job_id']}/{d['metadata']['key']}": d["text"] for d in stored
        }


def counts(added: int, deleted: int, skipped: int) -> dict[str, int]:
    return {"num_added": added, "num_updated": 0, "num_skipped": skipped, "num_deleted": deleted}


@pytest.mark.parametrize(
    ("how", "batch_size"),
    [
        ("index_agent_jobs", SMALL_BATCH),
        ("aindex_agent_jobs", SMALL_BATCH),
        ("index_agent_jobs", 1),
        ("index", 100),  # index() itself holds when no job straddles a batch
    ],
)
def test_the_recipe_three_times(server: LoopbackServer, how: str, batch_size: int) -> None:
    ids = job_ids(JOBS)
    store = Index(server, how, batch_size)
    total = JOBS * OUTPUTS

    assert store.sync() == counts(added=total, deleted=0, skipped=0)
    first = store.contents()
    assert len(first) == total

    last_sync = EPOCH  # every job so far was created at or after it: the window covers them all
    assert store.sync(created_from=last_sync) == counts(added=0, deleted=0, skipped=total)
    assert store.contents() == first

    new_id = "b0000000-0000-4000-8000-000000000001"
    server.listing.add(synthetic_job(new_id, JOBS + 1))
    corrected = ids[4]
    server.corrected.add(corrected)
    result = store.sync(created_from=last_sync)
    # The new job's 3 Documents, and the corrected job's 3 (its metadata says `corrected`) again.
    assert result == counts(added=2 * OUTPUTS, deleted=OUTPUTS, skipped=total - OUTPUTS)
    after = store.contents()
    assert len(after) == total + OUTPUTS
    assert {k for k in after if k.startswith(new_id)} == {f"{new_id}/out{n}" for n in range(3)}
    assert after[f"{corrected}/out0"] != first[f"{corrected}/out0"]
    assert '"corrected": true' in after[f"{corrected}/out0"]
    unchanged = {k: v for k, v in first.items() if not k.startswith(corrected)}
    assert unchanged.items() <= after.items()


def test_index_alone_rewrites_jobs_that_straddle_its_batches(server: LoopbackServer) -> None:
    """Why the recipe goes through `index_agent_jobs`: `index` with a batch size that splits jobs
    deletes and re-adds unchanged Documents on a run where nothing changed."""
    store = Index(server, "index", SMALL_BATCH)
    store.sync()
    again = store.sync()
    assert again["num_deleted"] > 0
    assert again["num_added"] == again["num_deleted"]
    wrapped = Index(server, "index_agent_jobs", SMALL_BATCH)
    wrapped.records, wrapped.store = store.records, store.store
    assert wrapped.sync() == counts(added=0, deleted=0, skipped=JOBS * OUTPUTS)


def test_a_window_that_leaves_a_job_out_leaves_its_documents_alone(server: LoopbackServer) -> None:
    store = Index(server, "index_agent_jobs", SMALL_BATCH)
    store.sync()
    later = EPOCH + timedelta(minutes=JOBS // 2)  # the second half of the jobs only
    assert store.sync(created_from=later) == counts(added=0, deleted=0, skipped=15)
    assert len(store.contents()) == JOBS * OUTPUTS  # the first half kept, not cleaned up
