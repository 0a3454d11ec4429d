"""The Roe document loaders: jobs' outputs as Documents, an agent run over many inputs, table rows."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Unpack

from langchain_core.document_loaders import BaseBlobParser

from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core._calls import chunked
from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import ClientSettings
from langchain_roe._core._constants import (
    DEFAULT_JOBS_PAGE_SIZE,
    IDEMPOTENCY_KEY_PREFIX,
    LISTING_ORDER,
    LOGGER_NAME,
    MAX_IDS_PER_REQUEST,
    MAX_INPUTS_PER_REQUEST,
)
from langchain_roe._core._exceptions import RoeError
from langchain_roe._core._formats import canonical_uuid, check_seconds, check_whole, unique_job_ids
from langchain_roe._core._inputs import check_inputs
from langchain_roe._core._listing import job_filters
from langchain_roe._core._models import AgentJobStatusCode
from langchain_roe._loaders._base import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_WAIT_TIMEOUT,
    JobDocumentsLoader,
)
from langchain_roe._loaders._cancelling import JobStartingLoader
from langchain_roe._loaders._finding import Listing, listing_feed
from langchain_roe._loaders._tables import RoeTableLoader
from langchain_roe._loaders._units import (
    Feed,
    LoadOptions,
    Outcome,
    RunOptions,
    Unit,
    batch_unit,
    run_unit,
    single_unit,
)

__all__ = ["RoeAgentJobResultLoader", "RoeAgentRunLoader", "RoeTableLoader"]

logger = logging.getLogger(LOGGER_NAME)


class RoeAgentJobResultLoader(JobDocumentsLoader[str]):
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
        client: A ready `RoeClient`, instead of client settings.
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
        load_references: After each output's Document, Documents for the files it cites (a
            web extraction's markdown, HTML, screenshots), at most `max_concurrency` at a time.
            Text-like ones (`text/*`, JSON, markup) become `page_content` as they are; any other
            needs `reference_parser` and is otherwise skipped with one log line. A reference that
            fails is recorded in `failures` under its job, whose outputs still load.
        reference_parser: A LangChain `BaseBlobParser` for references that are not text (a PDF
            or image parser of your choice).
        **settings: The client settings, as `RoeClient` takes them (`ClientSettings`).

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
        load_references: bool = False,
        reference_parser: BaseBlobParser | None = None,
        _listing: Listing | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        given: Iterable[object] = (
            [agent_job_ids] if isinstance(agent_job_ids, str | uuid.UUID) else agent_job_ids
        )
        self.agent_job_ids: list[str] | None = None if _listing else unique_job_ids(given)
        """The jobs to load; None for a loader `from_agent` made (its listing finds them)."""
        self.listing: Listing | None = _listing
        """The agent's job listing a `from_agent` loader reads its jobs from (`from_agent` sets it;
        it is not an option)."""
        check_whole("batch_size", batch_size, 1, MAX_IDS_PER_REQUEST)
        check_seconds("wait_timeout", wait_timeout)
        self.use_batch_endpoint = use_batch_endpoint
        self.batch_size = batch_size
        shared = (output_keys, max_concurrency, continue_on_failure, show_progress)
        self._configure(client, settings, *shared, load_references, reference_parser)
        self.options = LoadOptions(
            settings=self.client.settings,
            wait_for_completion=wait_for_completion,
            wait_timeout=float(wait_timeout),
            prefer_corrected_outputs=prefer_corrected_outputs,
        )
        self.failures: dict[str, RoeError] = {}
        """Each job skipped by the last load (with `continue_on_failure`), with its error."""

    @classmethod
    def from_agent(
        cls,
        agent_id: str,
        *,
        created_from: datetime | str | None = None,
        created_to: datetime | str | None = None,
        version_name: str | None = None,
        metadata: Mapping[str, str] | str | None = None,
        search: str | None = None,
        status: AgentJobStatusCode | int | None = None,
        only_succeeded: bool = True,
        page_size: int = DEFAULT_JOBS_PAGE_SIZE,
        **loader_options: Any,
    ) -> RoeAgentJobResultLoader:
        """A loader of an agent's jobs, found by listing them instead of given by id.

        The listing (`GET /v1/agents/{agent_id}/jobs/`, oldest first) is read a page at a time as
        the load goes, and its jobs' outputs are read through the batch results endpoint in
        chunks of `batch_size`: memory stays flat however many jobs the agent has. Documents are
        exactly those of a loader given the same ids, plus `created_at` (ISO 8601),
        `agent_version_name` and the job's own metadata as `job_metadata_<key>` strings.

        Example:
            ```python
            from langchain_roe import RoeAgentJobResultLoader

            loader = RoeAgentJobResultLoader.from_agent(
                "7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d",
                created_from="2026-11-29T00:00:00Z",
                continue_on_failure=True,
            )
            for document in loader.lazy_load():
                print(document.metadata["created_at"], document.metadata["key"])
            ```

        Args:
            agent_id: The agent whose jobs to load.
            created_from: Only jobs created at or after this time (aware `datetime` or ISO 8601
                string with its offset; a naive time is refused).
            created_to: Only jobs created at or before this time.
            version_name: Only jobs run by the agent version of this name.
            metadata: Only jobs started with this metadata (see `RoeClient.list_jobs`).
            search: Only jobs the server's text search finds for this string.
            status: Only jobs the listing shows in this status (an `AgentJobStatusCode`); with
                `only_succeeded`, only SUCCESS or CACHED load.
            only_succeeded: Load only the jobs the listing shows as succeeded (SUCCESS or CACHED);
                off, every listed job is asked for, and the unfinished or failed ones are errors
                (recorded in `failures` with `continue_on_failure`, waited for with
                `wait_for_completion`).
            page_size: Jobs per listing page (1 to 1000).
            **loader_options: Any other option of `RoeAgentJobResultLoader` (client settings,
                `output_keys`, `batch_size`, `max_concurrency`, `continue_on_failure`, ...).

        Raises:
            ValueError: A bad id, filter or option, before any request.
        """
        filters = job_filters(
            created_from=created_from,
            created_to=created_to,
            version_name=version_name,
            metadata=metadata,
            search=search,
            status=status,
            ordering=LISTING_ORDER,
            page_size=page_size,
        )
        listing = Listing(canonical_uuid(agent_id, "agent_id"), filters, only_succeeded)
        return cls((), _listing=listing, **loader_options)

    def _feed(self) -> Feed[list[Outcome]]:
        if self.listing is not None:
            yield from listing_feed(
                self.listing, self.batch_size, self.options, batch=self.use_batch_endpoint
            )
            return
        assert self.agent_job_ids is not None  # one of the two is set  # noqa: S101
        if self.use_batch_endpoint:
            for chunk in chunked(self.agent_job_ids, self.batch_size):
                yield Unit(batch_unit(chunk, self.options))
        else:
            for agent_job_id in self.agent_job_ids:
                yield Unit(single_unit(agent_job_id, self.options))

    @property
    def _total(self) -> int | None:
        return None if self.agent_job_ids is None else len(self.agent_job_ids)


class RoeAgentRunLoader(JobStartingLoader):
    """Run a Roe agent over many inputs and load what each job produced as Documents.

    Each input (a mapping of input key to value) starts one job: text-only inputs go to the
    many-inputs endpoint in chunks of `batch_size`; inputs with files (`pathlib.Path`, `bytes` or
    a binary file object; a `str` is always text) are started one by one, each under its own
    idempotency key. The jobs are waited for (statuses polled with backoff until `wait_timeout`)
    and read through the batch results endpoint. Documents are exactly those of
    `RoeAgentJobResultLoader` (same ids and metadata), plus `input_index`, streamed in input
    order with memory bounded by the chunks in flight.

    Example:
        ```python
        from langchain_roe import RoeAgentRunLoader

        loader = RoeAgentRunLoader(
            "5eb1a2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b",
            [{"url": "https://www.roe-ai.com", "question": "Who founded it?"}],
            continue_on_failure=True,
        )
        for document in loader.lazy_load():
            print(document.metadata["input_index"], document.page_content[:80])
        print(loader.failures)  # input position -> why it has no outputs
        ```

    Args:
        agent_id: The agent to run.
        inputs: One mapping of input key to value per job. A `str` is text (never a path); a
            `pathlib.Path`, `bytes` or binary file object is uploaded (a file object is rewound
            and read from its start, so it may serve several inputs or loads); a list gives an
            input several values, all sent. Every input is checked before the first job starts.
        version_id: Run this version instead of the current one (then every input is a single run).
        metadata: Metadata stored on each job (single runs only; the many-inputs endpoint ignores it).
        wait_timeout: Seconds to wait for a chunk's jobs, counted from the start of its unit.
        continue_on_failure: Record an input that produced no outputs in `failures` and go on,
            instead of raising. Authentication and configuration errors always raise.
        max_concurrency: Chunks in flight at once.
        skip_cache: Ask the server not to answer from its cache of earlier runs.
        batch_size: Inputs per many-inputs request (and per results request), at most 1000.
        output_keys: Load only the outputs with these keys.
        show_progress: A progress bar over inputs (needs `tqdm`).
        load_references: As `RoeAgentJobResultLoader`'s: the files each output cites, after it.
        reference_parser: As `RoeAgentJobResultLoader`'s.
        cancel_on_exit: Cancel the jobs this load started that are still running when it is left
            before its end (a `break`, an error, Ctrl-C, its task cancelled), and each job still
            running at `wait_timeout` (its failure says it was cancelled). Best effort, within
            about 30 s, logged and never raised over what ended the load; `cancelled` names them.
        client: A ready `RoeClient`, instead of client settings.
        **settings: The client settings, as `RoeClient` takes them (`ClientSettings`).

    Starting jobs costs credits: a request that may have started jobs is never repeated without
    its idempotency key; a chunk whose outcome is unknown fails its inputs with a
    `RunOutcomeUnknownError` rather than risk starting them twice.
    """

    _what = "input"
    _progress_unit = "input"

    def __init__(
        self,
        agent_id: str,
        inputs: Sequence[Mapping[str, Any]],
        *,
        version_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        continue_on_failure: bool = False,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        skip_cache: bool = False,
        batch_size: int = MAX_INPUTS_PER_REQUEST,
        output_keys: str | Sequence[str] | None = None,
        show_progress: bool = False,
        load_references: bool = False,
        reference_parser: BaseBlobParser | None = None,
        cancel_on_exit: bool = False,
        client: RoeClient | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        self.agent_id = canonical_uuid(agent_id, "agent_id")
        self.version_id = None if version_id is None else canonical_uuid(version_id, "version_id")
        check_whole("batch_size", batch_size, 1, MAX_INPUTS_PER_REQUEST)
        check_seconds("wait_timeout", wait_timeout)
        if metadata is not None and not isinstance(metadata, Mapping):
            msg = f"metadata must be a mapping, got {type(metadata).__name__}"
            raise ValueError(msg)
        self.metadata = metadata
        self.wait_timeout = float(wait_timeout)
        self.skip_cache = skip_cache
        self.batch_size = batch_size
        shared = (output_keys, max_concurrency, continue_on_failure, show_progress)
        self._configure(client, settings, *shared, load_references, reference_parser)
        self.inputs = check_inputs(inputs, max_upload_bytes=self.client.settings.max_upload_bytes)
        self.failures: dict[int, RoeError] = {}
        """Each input of the last load that produced no outputs, by position, with why."""
        self.cancel_on_exit = bool(cancel_on_exit)
        self.cancelled: dict[int, str] = {}
        """Each job the last load cancelled (`cancel_on_exit`), by its input's position."""

    @property
    def _total(self) -> int:
        return len(self.inputs)

    def _failure_key(self, job: FinishedJob) -> Any:
        return job.input_index

    def _feed(self) -> Feed[list[tuple[int, FinishedJob | RoeError]]]:
        options = RunOptions(
            agent_id=self.agent_id,
            version_id=self.version_id,
            metadata=self.metadata,
            skip_cache=self.skip_cache,
            run_key=f"{IDEMPOTENCY_KEY_PREFIX}{uuid.uuid4()}",  # a load starts its own jobs
            cancel_unfinished=self.cancel_on_exit,
            load=LoadOptions(
                settings=self.client.settings,
                wait_for_completion=True,
                wait_timeout=self.wait_timeout,
                prefer_corrected_outputs=False,
            ),
        )
        for start in range(0, len(self.inputs), self.batch_size):
            positions = range(start, min(start + self.batch_size, len(self.inputs)))
            yield Unit(run_unit(positions, self.inputs, options))
