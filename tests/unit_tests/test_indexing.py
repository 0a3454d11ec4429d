"""`index_agent_jobs`: batches of whole jobs, and what it refuses before indexing anything."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_roe import aindex_agent_jobs, index_agent_jobs
from langchain_roe.indexing import _whole_jobs

pytestmark = pytest.mark.filterwarnings("ignore:Using SHA-1:UserWarning")


def docs(*jobs: tuple[str, int]) -> list[Document]:
    return [
        Document(page_content=f"{job} {n}", metadata={"agent_job_id": job, "key": f"k{n}"})
        for job, count in jobs
        for n in range(count)
    ]


def shape(batches: list[list[Document]]) -> list[list[str]]:
    return [[d.page_content for d in batch] for batch in batches]


def test_batches_hold_whole_jobs_up_to_the_batch_size() -> None:
    given = docs(("a", 3), ("b", 3), ("c", 1), ("d", 5), ("e", 2))
    batches = list(_whole_jobs(iter(given), 4))
    jobs = [[d.metadata["agent_job_id"] for d in batch] for batch in batches]
    assert jobs == [["a"] * 3, ["b"] * 3 + ["c"], ["d"] * 5, ["e"] * 2]  # d alone: bigger than 4
    flat = [text for batch in shape(batches) for text in batch]
    assert flat == [d.page_content for d in given]  # nothing lost or moved


def test_edge_sizes() -> None:
    assert list(_whole_jobs(iter([]), 4)) == []
    assert shape(list(_whole_jobs(iter(docs(("a", 4))), 4))) == [["a 0", "a 1", "a 2", "a 3"]]
    assert len(list(_whole_jobs(iter(docs(("a", 1), ("b", 1))), 1))) == 2


def store() -> tuple[InMemoryRecordManager, InMemoryVectorStore]:
    records = InMemoryRecordManager("test")
    records.create_schema()
    return records, InMemoryVectorStore(DeterministicFakeEmbedding(size=4))


@pytest.mark.parametrize(
    ("given", "options", "message"),
    [
        (docs(("a", 2), ("b", 1), ("a", 1)), {}, "come in two separate runs"),
        ([Document(page_content="x", metadata={})], {}, "has no 'agent_job_id'"),
        (docs(("a", 1)), {"cleanup": "full"}, "cleanup='full'"),
        (docs(("a", 1)), {"source_id_key": "source"}, "source_id_key='source'"),
        (docs(("a", 1)), {"batch_size": 0}, "batch_size must be a whole number"),
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_what_it_refuses(
    given: list[Document], options: dict[str, Any], message: str, mode: str
) -> None:
    records, vectors = store()

    def call() -> Any:
        if mode == "sync":
            return index_agent_jobs(given, records, vectors, **options)
        return asyncio.run(aindex_agent_jobs(given, records, vectors, **options))

    with pytest.raises(ValueError, match=message):
        call()


def test_counts_are_summed_over_the_calls() -> None:
    records, vectors = store()
    given = docs(("a", 3), ("b", 3), ("c", 3))
    assert index_agent_jobs(given, records, vectors, batch_size=2) == {
        "num_added": 9,
        "num_updated": 0,
        "num_skipped": 0,
        "num_deleted": 0,
    }
    changed = docs(("a", 3), ("b", 2), ("c", 3))  # b lost an output
    result = index_agent_jobs(changed, records, vectors, batch_size=2)
    assert result == {"num_added": 0, "num_updated": 0, "num_skipped": 8, "num_deleted": 1}
    assert len(vectors.store) == 8
