"""Incremental sync of agent jobs into a vector store: LangChain's indexing API over whole jobs.

`langchain_core.indexing.index(..., cleanup="incremental", source_id_key="agent_job_id")` cleans
up a job's old Documents after each batch it writes. When a job's Documents straddle two batches,
the first batch's cleanup deletes the job's Documents still to come (they have not been refreshed
yet) and the next batch writes them again: more writes, more embeddings, and counts that report
unchanged Documents as deleted and added. `index_agent_jobs` calls `index` once per group of whole
jobs instead, so no job is ever split; everything else is `index`'s own behaviour.

A Roe loader's job is indexed only whole: a job one of whose references failed for now (a
retryable error, recorded in the loader's `failures`) is held back, since indexing its outputs
alone would have incremental cleanup delete the reference Documents it indexed before.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from itertools import chain
from typing import Any, Literal

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from langchain_core.indexing import DocumentIndex, IndexingResult, RecordManager, aindex, index
from langchain_core.vectorstores import VectorStore

from langchain_roe._core._formats import check_whole
from langchain_roe._loaders._base import JobDocumentsLoader

__all__ = ["aindex_agent_jobs", "index_agent_jobs"]

#: The cleanup modes that hold when one run is several `index` calls (not "full": see `_check`).
Cleanup = Literal["incremental", "scoped_full"] | None

#: The metadata field that names a Document's job.
SOURCE_ID_KEY = "agent_job_id"


def index_agent_jobs(
    docs_source: BaseLoader | Iterable[Document],
    record_manager: RecordManager,
    vector_store: VectorStore | DocumentIndex,
    *,
    batch_size: int = 100,
    cleanup: Cleanup = "incremental",
    **index_options: Any,
) -> IndexingResult:
    """`index(docs_source, ..., source_id_key="agent_job_id")`, never splitting a job.

    Documents are grouped into batches of whole jobs, up to `batch_size` Documents (a job with
    more is a batch of its own), and each batch is one `index` call; the counts are summed.

    Example:
        ```python
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from langchain_core.indexing import InMemoryRecordManager
        from langchain_core.vectorstores import InMemoryVectorStore

        from langchain_roe import RoeAgentJobResultLoader, index_agent_jobs
        from langchain_roe.replay import SYNC_SESSION_AGENT_ID, replay_client

        records = InMemoryRecordManager("roe/sync-example")
        records.create_schema()
        store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
        loader = RoeAgentJobResultLoader.from_agent(SYNC_SESSION_AGENT_ID, client=replay_client())
        print(index_agent_jobs(loader, records, store, batch_size=4))
        ```

    Args:
        docs_source: A Roe loader (or its Documents), each job's Documents one after another. A
            Roe loader's job a part of which failed for now (a reference answering 503, say) is
            held back whole: its Documents already indexed are left as they are, and the failure
            is in the loader's `failures`.
        record_manager: Where the indexing API keeps what it wrote.
        vector_store: Where the Documents go.
        batch_size: Documents per `index` call, jobs kept whole.
        cleanup: `"incremental"` (the default), `"scoped_full"` or None, as `index` takes them.
            `"full"` is refused: each call would delete what the calls before it wrote.
        **index_options: Any other option of `index` (`force_update`, `key_encoder`,
            `cleanup_batch_size`, `upsert_kwargs`).

    Raises:
        ValueError: `cleanup="full"`, a `source_id_key` other than `agent_job_id`, a Document
            without `agent_job_id`, or a job whose Documents come in two separate runs.
    """
    _check(cleanup, index_options)
    if isinstance(docs_source, JobDocumentsLoader):
        documents: Iterable[Document] = chain.from_iterable(docs_source._job_groups())
    elif isinstance(docs_source, BaseLoader):
        documents = docs_source.lazy_load()
    else:
        documents = docs_source
    totals = _totals()
    for batch in _whole_jobs(iter(documents), batch_size):
        options = _call_options(batch, batch_size, cleanup, index_options)
        _add(totals, index(batch, record_manager, vector_store, **options))
    return totals


async def aindex_agent_jobs(
    docs_source: BaseLoader | Iterable[Document] | AsyncIterable[Document],
    record_manager: RecordManager,
    vector_store: VectorStore | DocumentIndex,
    *,
    batch_size: int = 100,
    cleanup: Cleanup = "incremental",
    **index_options: Any,
) -> IndexingResult:
    """Async `index_agent_jobs`: a loader is read with `alazy_load`, each batch given to `aindex`."""
    _check(cleanup, index_options)
    if isinstance(docs_source, JobDocumentsLoader):
        documents: AsyncIterator[Document] = _flat(docs_source._ajob_groups())
    elif isinstance(docs_source, BaseLoader):
        documents = docs_source.alazy_load()
    elif isinstance(docs_source, AsyncIterable):
        documents = aiter(docs_source)
    else:
        documents = _async(docs_source)
    totals = _totals()
    async for batch in _awhole_jobs(documents, batch_size):
        options = _call_options(batch, batch_size, cleanup, index_options)
        _add(totals, await aindex(batch, record_manager, vector_store, **options))
    return totals


class _Grouper:
    """Documents in, batches of whole jobs out; one job's Documents must come together."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = check_whole("batch_size", batch_size, 1)
        self.batch: list[Document] = []
        self.job: list[Document] = []
        self.done: set[str] = set()

    def add(self, document: Document) -> list[Document] | None:
        """Take one Document; a batch that is complete, if taking it completed one."""
        agent_job_id = document.metadata.get(SOURCE_ID_KEY)
        if not isinstance(agent_job_id, str):
            msg = f"a Document has no {SOURCE_ID_KEY!r} in its metadata: not a Roe job's output"
            raise ValueError(msg)
        ready = None
        if self.job and self.job[0].metadata[SOURCE_ID_KEY] != agent_job_id:
            ready = self._close_job()
        if agent_job_id in self.done:
            msg = (
                f"agent job {agent_job_id}'s Documents come in two separate runs: give each job's "
                "Documents one after another, as the Roe loaders do"
            )
            raise ValueError(msg)
        self.job.append(document)
        return ready

    def finish_all(self) -> list[list[Document]]:
        """The batches left once every Document has been taken."""
        batches = []
        if self.job and (ready := self._close_job()):
            batches.append(ready)
        if self.batch:
            batches.append(self.batch)
            self.batch = []
        return batches

    def _close_job(self) -> list[Document] | None:
        job, self.job = self.job, []
        self.done.add(job[0].metadata[SOURCE_ID_KEY])
        ready = None
        if self.batch and len(self.batch) + len(job) > self.batch_size:
            ready, self.batch = self.batch, []
        self.batch += job
        return ready


def _whole_jobs(documents: Iterator[Document], batch_size: int) -> Iterator[list[Document]]:
    grouper = _Grouper(batch_size)
    for document in documents:
        ready = grouper.add(document)
        if ready:
            yield ready
    yield from grouper.finish_all()


async def _awhole_jobs(
    documents: AsyncIterator[Document], batch_size: int
) -> AsyncIterator[list[Document]]:
    grouper = _Grouper(batch_size)
    async for document in documents:
        ready = grouper.add(document)
        if ready:
            yield ready
    for batch in grouper.finish_all():
        yield batch


async def _flat(jobs: AsyncIterator[list[Document]]) -> AsyncIterator[Document]:
    async for documents in jobs:
        for document in documents:
            yield document


async def _async(documents: Iterable[Document]) -> AsyncIterator[Document]:
    for document in documents:
        yield document


def _check(cleanup: object, index_options: dict[str, Any]) -> None:
    if cleanup == "full":
        msg = (
            "cleanup='full' deletes every Document a run did not write: split into one index call "
            "per group of jobs, each call would delete the others'. Use 'incremental' or "
            "'scoped_full', or call langchain_core.indexing.index directly"
        )
        raise ValueError(msg)
    key = index_options.pop("source_id_key", SOURCE_ID_KEY)
    if key != SOURCE_ID_KEY:
        msg = f"index_agent_jobs groups Documents by {SOURCE_ID_KEY!r}; source_id_key={key!r} would not match"
        raise ValueError(msg)


def _call_options(
    batch: list[Document], batch_size: int, cleanup: Cleanup, index_options: dict[str, Any]
) -> dict[str, Any]:
    """One `index` call's options: the whole batch in one of its batches, one source per job."""
    return {
        "batch_size": max(batch_size, len(batch)),
        "cleanup": cleanup,
        "source_id_key": SOURCE_ID_KEY,
        **index_options,
    }


def _totals() -> IndexingResult:
    return {"num_added": 0, "num_updated": 0, "num_skipped": 0, "num_deleted": 0}


def _add(totals: IndexingResult, result: IndexingResult) -> None:
    for name in ("num_added", "num_updated", "num_skipped", "num_deleted"):
        totals[name] += result[name]
