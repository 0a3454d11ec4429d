"""`RoeAgentJobResultLoader`: Roe agent job outputs as LangChain Documents."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from langchain_roe._calls import chunked, result_url
from langchain_roe._client import RoeClient, build_client
from langchain_roe._constants import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_WAIT_TIMEOUT,
    LOGGER_NAME,
    MAX_IDS_PER_REQUEST,
)
from langchain_roe._documents import FinishedJob, check_output_keys, job_documents
from langchain_roe._exceptions import AuthenticationError, ConfigurationError, RoeError
from langchain_roe._flow import Flow
from langchain_roe._ids import unique_job_ids
from langchain_roe._loading import (
    LoadOptions,
    Outcome,
    arun_units,
    batch_unit,
    run_units,
    single_unit,
)
from langchain_roe._waiting import Step

logger = logging.getLogger(LOGGER_NAME)

#: Errors about the whole set-up, never about one job: raised even with `continue_on_failure`.
FATAL_ERRORS = (AuthenticationError, ConfigurationError)


class RoeAgentJobResultLoader(BaseLoader):
    """Load the outputs of Roe agent jobs as Documents, one per output.

    Each output (`AgentDatum`) becomes a `Document` whose `page_content` is its value (JSON laid out
    readably) and whose metadata holds the job and output facts as flat primitives: `source`,
    `agent_job_id`, `agent_id`, `agent_version_id`, `key`, `description`, `data_type`, `cost`,
    `output_index`, `input_tokens`, `output_tokens`, `status` and `corrected` (each only when known).
    `Document.id` is derived from the job and the output, so loading again into a vector store
    updates instead of duplicating.

    Example:
        ```python
        from langchain_roe import RoeAgentJobResultLoader

        loader = RoeAgentJobResultLoader(
            ["0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10", "1c8f4063-ad2b-4e9f-87a4-3b5d6f8e0a21"],
            continue_on_failure=True,
        )
        for document in loader.lazy_load():
            print(document.metadata["key"], document.page_content[:80])
        print(loader.failures)  # agent_job_id -> the error that skipped it
        ```

    Args:
        agent_job_ids: One job id, or a sequence of them. Repeats (compared as UUIDs) load once.
        api_key: Organization API key (`ROE_API_KEY`).
        organization_id: Organization UUID (`ROE_ORGANIZATION_ID`).
        base_url: API root (`ROE_BASE_URL`).
        timeout: Seconds one attempt of a request may take in all (`ROE_TIMEOUT`).
        max_retries: Retries per request (`ROE_MAX_RETRIES`).
        max_response_bytes: Largest answer body read (`ROE_MAX_RESPONSE_BYTES`).
        allow_insecure_http: Allow `http://` off loopback (`ROE_ALLOW_INSECURE_HTTP`).
        client: A ready `RoeClient`, instead of the settings above.
        output_keys: Load only the outputs with these keys.
        max_concurrency: Requests in flight at once.
        use_batch_endpoint: Ask for up to `batch_size` jobs per request (`POST .../results/`); off,
            one `GET .../result/` per job.
        batch_size: Ids per batch request, at most 1000.
        continue_on_failure: Skip a job that cannot be loaded (log a WARNING naming it and record
            it in `failures`) instead of raising. Authentication and configuration errors always raise.
        wait_for_completion: Poll unfinished jobs until they end (or `wait_timeout` passes), then
            load them; off, an unfinished job is a `JobNotFinishedError`.
        wait_timeout: Seconds to wait for unfinished jobs, counted from the start of each request unit.
        prefer_corrected_outputs: Use a human reviewer's corrected outputs where the batch answer has
            them, marking those Documents `corrected: True` (batch path only).
        show_progress: Show a progress bar over jobs (needs `tqdm`: `langchain-roe[progress]`).

    Raises:
        ValueError: An id is not a UUID, there are none, or an option is out of range; raised here,
            before any request.
        ConfigurationError: A client setting is invalid (also a `ValueError`); the key is never
            quoted.
    """

    def __init__(
        self,
        agent_job_ids: str | uuid.UUID | Sequence[str | uuid.UUID],
        *,
        api_key: str | None = None,
        organization_id: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        max_response_bytes: int | None = None,
        allow_insecure_http: bool | None = None,
        client: RoeClient | None = None,
        output_keys: str | Sequence[str] | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        use_batch_endpoint: bool = True,
        batch_size: int = MAX_IDS_PER_REQUEST,
        continue_on_failure: bool = False,
        wait_for_completion: bool = False,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        prefer_corrected_outputs: bool = False,
        show_progress: bool = False,
    ) -> None:
        given: Iterable[object] = (
            [agent_job_ids] if isinstance(agent_job_ids, str | uuid.UUID) else agent_job_ids
        )
        self.agent_job_ids = unique_job_ids(given)
        _check_int("max_concurrency", max_concurrency, 1, None)
        _check_int("batch_size", batch_size, 1, MAX_IDS_PER_REQUEST)
        if not wait_timeout > 0:
            msg = f"wait_timeout must be a positive number of seconds, got {wait_timeout!r}"
            raise ValueError(msg)
        self.output_keys = check_output_keys(output_keys)
        self.options = LoadOptions(
            wait_for_completion=wait_for_completion,
            wait_timeout=float(wait_timeout),
            prefer_corrected_outputs=prefer_corrected_outputs,
        )
        self.max_concurrency = max_concurrency
        self.use_batch_endpoint = use_batch_endpoint
        self.batch_size = batch_size
        self.continue_on_failure = continue_on_failure
        self.show_progress = show_progress
        if show_progress:
            _require_tqdm()
        self.client = build_client(
            client,
            api_key=api_key,
            organization_id=organization_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_response_bytes=max_response_bytes,
            allow_insecure_http=allow_insecure_http,
        )
        self.failures: dict[str, RoeError] = {}
        """Each job skipped by the last load (with `continue_on_failure`), with its error."""

    def lazy_load(self) -> Iterator[Document]:
        """Yield Documents job by job, in the order the ids were given, as their requests answer."""
        for job in self._finished_jobs():
            yield from self._documents(job)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Async `lazy_load`, on httpx's async client; no event loop is run inside."""
        async for job in self._afinished_jobs():
            for document in self._documents(job):
                yield document

    def load(self) -> list[Document]:
        """Load every Document into a list (`lazy_load` streams them instead)."""
        documents: list[Document] = []
        for job in self._finished_jobs():
            documents.extend(self._documents(job))
        return documents

    async def aload(self) -> list[Document]:
        """Async `load`."""
        documents: list[Document] = []
        async for job in self._afinished_jobs():
            documents.extend(self._documents(job))
        return documents

    def _finished_jobs(self) -> Iterator[FinishedJob]:
        """Each loadable job in order; the others raise or are recorded in `failures`."""
        for outcomes in self._outcomes():
            yield from self._accept(outcomes)

    async def _afinished_jobs(self) -> AsyncIterator[FinishedJob]:
        """Async `_finished_jobs`."""
        async for outcomes in self._aoutcomes():
            for job in self._accept(outcomes):
                yield job

    def _outcomes(self) -> Iterator[list[Outcome]]:
        """Each unit's jobs, loaded or failed, in order; `failures` is reset first."""
        self.failures = {}
        with self._progress() as progress:
            for outcomes in run_units(self.client, self._units(), self.max_concurrency):
                yield outcomes
                if progress is not None:
                    progress.update(len(outcomes))

    async def _aoutcomes(self) -> AsyncIterator[list[Outcome]]:
        """Async `_outcomes`."""
        self.failures = {}
        with self._progress() as progress:
            async for outcomes in arun_units(self.client, self._units(), self.max_concurrency):
                yield outcomes
                if progress is not None:
                    progress.update(len(outcomes))

    def _documents(self, job: FinishedJob) -> list[Document]:
        source = result_url(self.client.settings, job.agent_job_id)
        documents = job_documents(job, source=source, output_keys=self.output_keys)
        self._warn_missing_keys(job.agent_job_id, documents)
        return documents

    def _units(self) -> Iterator[Flow[Step, list[Outcome]]]:
        if self.use_batch_endpoint:
            for chunk in chunked(self.agent_job_ids, self.batch_size):
                yield batch_unit(chunk, self.options)
        else:
            for agent_job_id in self.agent_job_ids:
                yield single_unit(agent_job_id, self.options)

    def _accept(self, outcomes: list[Outcome]) -> Iterator[FinishedJob]:
        for agent_job_id, outcome in outcomes:
            if isinstance(outcome, RoeError):
                if not self.continue_on_failure or isinstance(outcome, FATAL_ERRORS):
                    raise outcome
                self.failures[agent_job_id] = outcome
                logger.warning("skipped agent job %s: %s", agent_job_id, outcome)
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
        tqdm = _require_tqdm()
        return tqdm(total=len(self.agent_job_ids), unit="job", desc="Roe jobs")  # type: ignore[no-any-return]


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high and value > high)
    ):
        bounds = f"between {low} and {high}" if high else f"at least {low}"
        msg = f"{name} must be a whole number {bounds}, got {value!r}"
        raise ValueError(msg)


def _require_tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        msg = "show_progress=True needs tqdm: pip install 'langchain-roe[progress]'"
        raise ImportError(msg) from exc
    return tqdm
