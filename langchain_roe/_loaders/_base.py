"""What the Roe document loaders share: streaming units of work into Documents, in order.

A loader says what its units are (`_feed`: flows yielding steps, each returning its jobs' outcomes
keyed by what `failures` names them by); this base runs them with `max_concurrency` in flight,
sync or async, turns each finished job into Documents and records or raises the failures.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, aclosing, closing, nullcontext
from typing import Any, Final, Generic, TypeVar

from langchain_core.document_loaders import BaseBlobParser, BaseLoader
from langchain_core.documents import Document
from langchain_core.documents.base import Blob

from langchain_roe._convert._documents import (
    FinishedJob,
    Metadata,
    check_output_keys,
    job_documents,
)
from langchain_roe._convert._references import (
    JobReference,
    cited_once,
    find_references,
    is_text_like,
    reference_documents,
)
from langchain_roe._core._calls import result_url
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import (
    LOGGER_NAME,
    SERVER_COUNT_CAP,
)
from langchain_roe._core._exceptions import (
    RoeError,
    is_setup_error,
)
from langchain_roe._core._flow import Reporter
from langchain_roe._core._formats import check_whole
from langchain_roe._core._retry import is_retryable
from langchain_roe._core._surfaces import build_client
from langchain_roe._loaders._finding import JOBS_LISTED_EVENT
from langchain_roe._loaders._units import (
    Feed,
    Runner,
    Unit,
    outcomes_size,
    reference_unit,
)

# The loaders' defaults: units in flight, and how long a load waits for unfinished jobs.
DEFAULT_MAX_CONCURRENCY: Final = 4
DEFAULT_WAIT_TIMEOUT: Final = 600.0


logger = logging.getLogger(LOGGER_NAME)

K = TypeVar("K")


class JobDocumentsLoader(BaseLoader, Generic[K]):
    """Base of the Roe loaders: units of jobs in, Documents out, in order, with failures kept."""

    client: RoeClient
    load_references: bool
    reference_parser: BaseBlobParser | None
    output_keys: frozenset[str] | None
    max_concurrency: int
    continue_on_failure: bool
    show_progress: bool
    failures: dict[K, RoeError]
    _what = "agent job"
    _progress_unit = "job"
    _read_ahead: bool = True
    """Whether units are read ahead within `READ_AHEAD_BYTES` (`ReadAhead`); else always
    `max_concurrency` in flight."""

    def _configure(
        self,
        client: RoeClient | None,
        settings: Mapping[str, Any],
        output_keys: str | Sequence[str] | None,
        max_concurrency: int,
        continue_on_failure: bool,
        show_progress: bool,
        load_references: bool,
        reference_parser: BaseBlobParser | None,
        /,
    ) -> None:
        """What every loader's constructor sets up: the options both take, checked, then the client.

        The client is `client`, or one built from `settings`.
        """
        self.output_keys = check_output_keys(output_keys)
        check_whole("max_concurrency", max_concurrency, 1)
        if reference_parser is not None and not isinstance(reference_parser, BaseBlobParser):
            msg = (
                f"reference_parser must be a BaseBlobParser, got {type(reference_parser).__name__}"
            )
            raise ValueError(msg)
        self.load_references = bool(load_references)
        self.reference_parser = reference_parser
        self.max_concurrency = max_concurrency
        self.continue_on_failure = continue_on_failure
        self.show_progress = show_progress
        if show_progress:
            require_tqdm()
        self.client = build_client(client, **settings)

    @property
    def _total(self) -> int | None:
        """How many units of progress the load has, when known before it starts."""
        raise NotImplementedError

    def _feed(self) -> Feed[list[tuple[K, FinishedJob | RoeError]]]:
        raise NotImplementedError

    def lazy_load(self) -> Iterator[Document]:
        """Yield Documents job by job, in the order the ids were given, as their requests answer.

        With `load_references`, each output's Document is followed by its references' Documents.
        """
        if self.load_references:
            for outcomes in self._outcomes():
                for _, part in self._with_references(list(self._accept(outcomes))):
                    yield from part or ()
            return
        for job in self._finished_jobs():
            yield from self._documents(job)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Async `lazy_load`, on httpx's async client; no event loop is run inside."""
        # Each async generator inside is closed here, in this task, when this one is: left to the
        # loop's finaliser, their cleanup (workers stopped, cancelling) would run after it.
        if self.load_references:
            async with aclosing(self._aoutcomes()) as units:
                async for outcomes in units:
                    parts = self._awith_references(list(self._accept(outcomes)))
                    async with aclosing(parts):
                        async for _, part in parts:
                            for document in part or ():
                                yield document
            return
        async with aclosing(self._afinished_jobs()) as jobs:
            async for job in jobs:
                for document in self._documents(job):
                    yield document

    def load(self) -> list[Document]:
        """Load every Document into a list (`lazy_load` streams them instead)."""
        if self.load_references:
            return list(self.lazy_load())
        documents: list[Document] = []
        for job in self._finished_jobs():
            documents.extend(self._documents(job))
        return documents

    async def aload(self) -> list[Document]:
        """Async `load`."""
        if self.load_references:
            return [document async for document in self.alazy_load()]
        documents: list[Document] = []
        async with aclosing(self._afinished_jobs()) as jobs:
            async for job in jobs:
                documents.extend(self._documents(job))
        return documents

    # Whole jobs, for the indexing API: a job any part of which failed for now is held back.

    def _job_groups(self) -> Iterator[list[Document]]:
        """Each job's Documents together, a job with a reference failing for now held back.

        A retryable error on one of its references (recorded in `failures`) holds the job back
        whole, so that incremental cleanup never deletes what it indexed before.
        """
        if not self.load_references:
            for job in self._finished_jobs():
                yield self._documents(job)
            return
        for outcomes in self._outcomes():
            whole = _WholeJobs()
            for job, part in self._with_references(list(self._accept(outcomes))):
                yield from whole.add(job, part)
            yield from whole.finish()

    async def _ajob_groups(self) -> AsyncIterator[list[Document]]:
        """Async `_job_groups`."""
        if not self.load_references:
            async with aclosing(self._afinished_jobs()) as jobs:
                async for job in jobs:
                    yield self._documents(job)
            return
        async with aclosing(self._aoutcomes()) as units:
            async for outcomes in units:
                whole = _WholeJobs()
                parts = self._awith_references(list(self._accept(outcomes)))
                async with aclosing(parts):
                    async for job, part in parts:
                        for documents in whole.add(job, part):
                            yield documents
                for documents in whole.finish():
                    yield documents

    # References: fetched per unit of jobs, `max_concurrency` at a time, in citing order; each file
    # once per job, however many of its outputs cite it.

    def _with_references(
        self, jobs: list[FinishedJob]
    ) -> Iterator[tuple[FinishedJob, list[Document] | None]]:
        """Each job's Documents as they come: an output's, then those of the files it cites.

        A file that failed for now (a retryable error) is None: the job is not whole.
        """
        plans = [self._plan(job) for job in jobs]
        units = _reference_units(jobs, plans, self.client.settings)
        with closing(Runner(self.client, self.max_concurrency).run(units)) as fetched:
            for job, part in self._citing_order(jobs, plans):
                if isinstance(part, Document):
                    yield job, [part]
                else:
                    yield job, self._reference_documents(job, *part, next(fetched))

    async def _awith_references(
        self, jobs: list[FinishedJob]
    ) -> AsyncGenerator[tuple[FinishedJob, list[Document] | None], None]:
        """Async `_with_references`."""
        plans = [self._plan(job) for job in jobs]
        units = _reference_units(jobs, plans, self.client.settings)
        async with aclosing(Runner(self.client, self.max_concurrency).arun(units)) as fetched:
            for job, part in self._citing_order(jobs, plans):
                if isinstance(part, Document):
                    yield job, [part]
                else:
                    yield job, self._reference_documents(job, *part, await anext(fetched))

    def _plan(self, job: FinishedJob) -> list[tuple[JobReference, list[str]]]:
        """The files `job`'s loaded outputs cite worth fetching, each once, with its citers.

        In order, each with the keys of the loaded outputs citing it.

        One whose name says it is not text (a `.png`) is skipped unasked when no
        `reference_parser` could read it.
        """
        planned = []
        loaded = [
            reference
            for reference in find_references(job.outputs)
            if self.output_keys is None or reference.output_key in self.output_keys
        ]
        for reference, cited_by in cited_once(loaded):
            guessed = reference.guessed_type
            if self.reference_parser is None and guessed is not None and not is_text_like(guessed):
                _log_skipped(job.agent_job_id, reference, guessed)
                continue
            planned.append((reference, cited_by))
        return planned

    def _citing_order(
        self, jobs: list[FinishedJob], plans: list[list[tuple[JobReference, list[str]]]]
    ) -> Iterator[tuple[FinishedJob, Document | tuple[JobReference, list[str]]]]:
        """Each job's output Documents, each followed by the files it is the first to cite.

        The order `_reference_units` fetches them in: a plan lists a file under its first citer.
        """
        for job, plan in zip(jobs, plans, strict=True):
            by_output: dict[int, list[tuple[JobReference, list[str]]]] = {}
            for planned in plan:
                by_output.setdefault(planned[0].output_index, []).append(planned)
            for document in self._documents(job):
                yield job, document
                yield from (
                    (job, planned)
                    for planned in by_output.get(int(document.metadata["output_index"]), [])
                )

    def _reference_documents(
        self,
        job: FinishedJob,
        reference: JobReference,
        cited_by: list[str],
        outcome: Blob | RoeError,
    ) -> list[Document] | None:
        """A fetched reference's Documents; None when it failed for now (a retryable error)."""
        if isinstance(outcome, RoeError):
            if is_setup_error(outcome):
                raise outcome
            self.failures.setdefault(self._failure_key(job), outcome)
            logger.warning(
                "agent job %s: reference %s not loaded (its outputs were): %s",
                job.agent_job_id,
                reference.resource_id,
                outcome,
            )
            return None if is_retryable(outcome) else []
        shared: Metadata = {"agent_job_id": job.agent_job_id}
        if job.agent_id is not None:
            shared["agent_id"] = job.agent_id
        documents = reference_documents(outcome, reference, shared, self.reference_parser, cited_by)
        if documents is None:
            _log_skipped(job.agent_job_id, reference, outcome.mimetype)
            return []
        return documents

    def _failure_key(self, job: FinishedJob) -> Any:
        """What `failures` names a job by: its id (the run loader: its input's position)."""
        return job.agent_job_id

    def _finished_jobs(self) -> Iterator[FinishedJob]:
        """Each loadable job in order; the others raise or are recorded in `failures`."""
        for outcomes in self._outcomes():
            yield from self._accept(outcomes)
            del outcomes  # not held while the next unit is read (_outcomes says why)

    async def _afinished_jobs(self) -> AsyncGenerator[FinishedJob, None]:
        """Async `_finished_jobs`."""
        async with aclosing(self._aoutcomes()) as units:
            async for outcomes in units:
                for job in self._accept(outcomes):
                    yield job
                del outcomes  # not held while the next unit is read

    def _outcomes(
        self, linger: float = 0.0
    ) -> Generator[list[tuple[K, FinishedJob | RoeError]], None, None]:
        """Each unit's jobs, loaded or failed, in order; `failures` is reset first.

        Left early, the load waits up to `linger` seconds for its running units to stop (none by
        default; see `Runner.run`).
        """
        self.failures = {}
        with self._progress() as progress:
            runner = self._runner(progress, linger)
            for outcomes in runner.run(self._feed()):
                yield outcomes
                if progress is not None:
                    progress.update(len(outcomes))
                # A loop variable lives until the next value replaces it, so the unit handed over
                # (its decoded answer) would stay in memory while the next one is read.
                del outcomes

    async def _aoutcomes(
        self, linger: float = 0.0
    ) -> AsyncGenerator[list[tuple[K, FinishedJob | RoeError]], None]:
        """Async `_outcomes`."""
        self.failures = {}
        with self._progress() as progress:
            units = self._runner(progress, linger).arun(self._feed())
            async with aclosing(units):
                async for outcomes in units:
                    yield outcomes
                    if progress is not None:
                        progress.update(len(outcomes))
                    del outcomes  # not held while the next unit is read

    def _runner(self, progress: Any, linger: float) -> Runner:
        """How this load runs its units: its reports shown, units read ahead by their size."""
        weigh = outcomes_size if self._read_ahead else None
        return Runner(self.client, self.max_concurrency, self._reporter(progress), weigh, linger)

    def _reporter(self, progress: Any) -> Reporter:
        """What the load does with its units' reports: a listing's pages move the progress bar.

        It logs when the server caps the count and when the listing shrank as it was read.
        """

        def report(event: dict[str, Any]) -> None:
            if event.get("event") != JOBS_LISTED_EVENT:
                return  # status changes of waited-for jobs: the bar counts jobs loaded, not polls
            first = event["page"] == 1
            if first and event["capped"]:
                logger.warning(
                    "the agent has at least %d jobs: the server lists only its most recent %d unless "
                    "asked otherwise; load older ones with created_to",
                    SERVER_COUNT_CAP,
                    SERVER_COUNT_CAP,
                )
            if event["shrank"]:
                logger.warning(
                    "the agent's job listing lost %d job(s) while it was read (page %d): a job may "
                    "have moved onto a page already read and been missed; load again to be sure "
                    "(the indexing API skips what is already indexed)",
                    event["shrank"],
                    event["page"],
                )
            if progress is None:
                return
            if first and event["count"] is not None:
                progress.total = event["count"]
                progress.refresh()
            progress.update(event["skipped"])
            progress.set_postfix(page=event["page"], refresh=False)

        return report

    def _documents(self, job: FinishedJob) -> list[Document]:
        source = result_url(self.client.settings, job.agent_job_id)
        documents = job_documents(job, source=source, output_keys=self.output_keys)
        if self.output_keys is not None:
            self._warn_missing_keys(job.agent_job_id, documents)
        return documents

    def _accept(self, outcomes: list[tuple[K, FinishedJob | RoeError]]) -> Iterator[FinishedJob]:
        for agent_job_id, outcome in outcomes:
            if isinstance(outcome, RoeError):
                if not self.continue_on_failure or is_setup_error(outcome):
                    raise outcome
                self.failures[agent_job_id] = outcome
                logger.warning("skipped %s %s: %s", self._what, agent_job_id, outcome)
                continue
            yield outcome

    def _warn_missing_keys(self, agent_job_id: str, documents: list[Document]) -> None:
        wanted = self.output_keys
        if wanted is None:
            return
        missing = set(wanted).difference(d.metadata["key"] for d in documents)
        if missing:
            logger.warning(
                "agent job %s has no output with key(s) %s",
                agent_job_id,
                ", ".join(sorted(missing)),
            )

    def _progress(self) -> AbstractContextManager[Any]:
        if not self.show_progress:
            return nullcontext()
        tqdm = require_tqdm()
        unit = self._progress_unit
        return tqdm(total=self._total, unit=unit, desc=f"Roe {unit}s")  # type: ignore[no-any-return]


def _reference_units(
    jobs: list[FinishedJob],
    plans: list[list[tuple[JobReference, list[str]]]],
    settings: RoeSettings,
) -> Feed[Blob | RoeError]:
    for job, plan in zip(jobs, plans, strict=True):
        for reference, _ in plan:
            yield Unit(reference_unit(job.agent_job_id, reference.value, settings))


class _WholeJobs:
    """A job's Documents gathered as its parts come, handed on once the next job starts.

    A job with a part that failed for now (None) is held back whole, and a WARNING says so.
    """

    def __init__(self) -> None:
        self.job: FinishedJob | None = None
        self.documents: list[Document] = []
        self.whole = True

    def add(self, job: FinishedJob, part: list[Document] | None) -> list[list[Document]]:
        """Take one part of `job`; the job before it, if `job` starts a new one and it was whole."""
        done = self.finish() if job is not self.job else []
        if self.job is None:
            self.job = job
        if part is None:
            self.whole = False
        else:
            self.documents += part
        return done

    def finish(self) -> list[list[Document]]:
        """The job being gathered, if it was whole."""
        job, documents, whole = self.job, self.documents, self.whole
        self.job, self.documents, self.whole = None, [], True
        if job is None:
            return []
        if not whole:
            logger.warning(
                "agent job %s held back from indexing: a reference failed for now (see "
                "failures); its Documents already indexed are left as they are",
                job.agent_job_id,
            )
            return []
        return [documents]


def _log_skipped(agent_job_id: str, reference: JobReference, media_type: str | None) -> None:
    logger.info(
        "agent job %s: reference %s skipped: %s is not text, and no reference_parser was given",
        agent_job_id,
        reference.resource_id,
        media_type or "its type",
    )


def require_tqdm() -> Any:
    """tqdm, or an ImportError saying how to install it."""
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        msg = "show_progress=True needs tqdm: pip install 'langchain-roe[progress]'"
        raise ImportError(msg) from exc
    return tqdm
