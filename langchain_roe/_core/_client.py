"""`RoeClient`: the one place that speaks HTTP to the Roe API, sync and async.

How every surface gets its client is `_surfaces`.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

import httpx
from langchain_core.documents.base import Blob

from langchain_roe._core._attempt import WATCHDOG, BodyCollector, SocketGuard
from langchain_roe._core._calls import (
    result_flow,
    results_flow,
    single_flow,
    status_flow,
    statuses_flow,
)
from langchain_roe._core._config import ClientSettings, RoeSettings
from langchain_roe._core._control import cancel_all_flow, cancel_flow, delete_data_flow
from langchain_roe._core._exceptions import RoeError
from langchain_roe._core._flow import Flow, Reporter, adrive, drive
from langchain_roe._core._formats import canonical_job_id, unique_job_ids
from langchain_roe._core._http import (
    Call,
    body_limit,
    read_response,
    request_arguments,
    transport_error,
)
from langchain_roe._core._listing import (
    JobFilters,
    ListedT,
    Pager,
    job_filters,
    jobs_call,
    whole_entry,
)
from langchain_roe._core._models import (
    Agent,
    AgentJobResult,
    AgentJobResultItem,
    AgentJobStatus,
    AgentJobStatusItem,
    AgentJobSummary,
    AgentVersion,
    JobDataDeletion,
    Page,
)
from langchain_roe._core._pools import Pools
from langchain_roe._core._references import (
    ReferenceInfo,
    artifact_call,
    artifact_flow,
    probe_flow,
    reference_call,
    reference_flow,
)
from langchain_roe._core._retry import RetryPolicy
from langchain_roe._core._runs import (
    RunArguments,
    agents_call,
    run_call,
    run_flow,
    run_many_calls,
    run_many_flow,
    version_call,
)
from langchain_roe._core._table_methods import TableMethods

T = TypeVar("T")


class RoeClient(TableMethods):
    """Client for the Roe agent-job and table endpoints, with the same methods sync and async.

    Settings not given are read from `ROE_API_KEY`, `ROE_ORGANIZATION_ID`, `ROE_BASE_URL`,
    `ROE_TIMEOUT`, `ROE_MAX_RETRIES`, `ROE_MAX_RESPONSE_BYTES`, `ROE_ALLOW_INSECURE_HTTP` and
    `ROE_MAX_REFERENCE_BYTES`, and
    checked here: a bad one is a `ConfigurationError` before any request. Retryable failures (no
    answer, 408, 429, 5xx, a garbled body) are retried up to `max_retries` times, honouring
    `Retry-After`. Each attempt ends within `timeout` seconds in all, body included, and reads at
    most `max_response_bytes` of body.

    One client may be shared by threads and by event loops: each loop gets its own async pool,
    closed when that loop shuts down (`asyncio.run` does this) or by `aclose()`.

    Example:
        ```python
        from langchain_roe import RoeClient

        with RoeClient() as client:  # reads ROE_API_KEY
            result = client.get_result("0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10")
            for output in result.outputs:
                print(output.key, output.data_type, output.value)
        ```

    Args:
        **settings: The client settings (`ClientSettings`): `api_key`, `organization_id`,
            `base_url`, `timeout`, `max_retries`, `max_response_bytes`, `allow_insecure_http`,
            `max_reference_bytes`, `max_upload_bytes`; each is a field of `RoeSettings`, which
            says its variable, default and checks (the README's Configuration table lists them).
        http_client: An `httpx.Client` of your own (proxies, mTLS, tests); you close it.
        async_http_client: An `httpx.AsyncClient` of your own; you close it.
    """

    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        **settings: Unpack[ClientSettings],
    ) -> None:
        self.settings = RoeSettings.resolve(**settings)
        self._retry = RetryPolicy(self.settings.max_retries)
        self._pools = Pools(http_client, async_http_client)

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"RoeClient(base_url={s.base_url!r}, organization_id={s.organization_id!r}, "
            f"timeout={s.timeout!r}, max_retries={s.max_retries!r})"
        )

    # One result -------------------------------------------------------------------------------

    def get_result(self, agent_job_id: str) -> AgentJobResult:
        """Return a finished job's outputs (`GET /v1/agents/jobs/{agent_job_id}/result/`).

        Raises:
            ValueError: `agent_job_id` is not a UUID (before any request).
            NotFoundError: No such job for this key and organization.
            JobNotFinishedError: The job is still running.
            JobFailedError: The job failed or was cancelled.
            RoeError: Any other failure, typed as the module `_exceptions` draws.
        """
        return self._drive(result_flow(canonical_job_id(agent_job_id)))

    async def aget_result(self, agent_job_id: str) -> AgentJobResult:
        """Async `get_result`."""
        return await self._adrive(result_flow(canonical_job_id(agent_job_id)))

    # One status -------------------------------------------------------------------------------

    def get_status(self, agent_job_id: str) -> AgentJobStatus:
        """Return a job's status (`GET /v1/agents/jobs/{agent_job_id}/status/`)."""
        return self._drive(status_flow(canonical_job_id(agent_job_id)))

    async def aget_status(self, agent_job_id: str) -> AgentJobStatus:
        """Async `get_status`."""
        return await self._adrive(status_flow(canonical_job_id(agent_job_id)))

    # Many results and statuses ----------------------------------------------------------------

    def get_results(self, agent_job_ids: Iterable[str]) -> dict[str, AgentJobResultItem | RoeError]:
        """Return many jobs' results (`POST /v1/agents/jobs/results/`), keyed by agent job id.

        Ids are checked and de-duplicated first, then sent in chunks of at most 1000. Each id asked
        for is a key of the answer (canonical lower-case form, in the order given); an id the
        server's answer left out maps to a `NotFoundError`, and an item that does not match the
        spec to an `InvalidResponseError` for that job alone. Items are returned as the server
        sent them: check each one's `status` before reading its `result`.
        """
        return self._drive(results_flow(unique_job_ids(agent_job_ids), self.settings))

    async def aget_results(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobResultItem | RoeError]:
        """Async `get_results`."""
        return await self._adrive(results_flow(unique_job_ids(agent_job_ids), self.settings))

    def get_statuses(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobStatusItem | RoeError]:
        """Return many jobs' statuses (`POST /v1/agents/jobs/statuses/`), keyed as `get_results`."""
        return self._drive(statuses_flow(unique_job_ids(agent_job_ids), self.settings))

    async def aget_statuses(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobStatusItem | RoeError]:
        """Async `get_statuses`."""
        return await self._adrive(statuses_flow(unique_job_ids(agent_job_ids), self.settings))

    # Agents and runs ---------------------------------------------------------------------------

    def get_agent_version(self, agent_id: str, version_id: str | None = None) -> AgentVersion:
        """Return an agent's version: the current one when `version_id` is None.

        Its `input_definitions` say what a run takes (`GET /v1/agents/{agent_id}/versions/current/`).
        """
        return self._drive(single_flow(version_call(agent_id, version_id)))

    async def aget_agent_version(
        self, agent_id: str, version_id: str | None = None
    ) -> AgentVersion:
        """Async `get_agent_version`."""
        return await self._adrive(single_flow(version_call(agent_id, version_id)))

    def list_agents(self, *, page_size: int | None = None) -> Iterator[Agent]:
        """Yield the organization's agents (`GET /v1/agents/`).

        `next` pages are followed on the configured host only and each agent is yielded once;
        pages that never end, link back or bring nothing new stop with `InvalidResponseError`.
        """
        return self._items(Pager(agents_call(page_size), self.settings, whole_entry))

    def alist_agents(self, *, page_size: int | None = None) -> AsyncIterator[Agent]:
        """Async `list_agents`."""
        return self._aitems(Pager(agents_call(page_size), self.settings, whole_entry))

    # An agent's jobs ---------------------------------------------------------------------------

    def list_jobs(
        self,
        agent_id: str,
        **filters: Unpack[JobFilters],
    ) -> Iterator[AgentJobSummary]:
        """Yield an agent's jobs as summaries, page by page (`GET /v1/agents/{agent_id}/jobs/`).

        Summaries carry no outputs: read those with `get_results` (or load them with
        `RoeAgentJobResultLoader.from_agent`). Every filter is checked here, before any request.

        Args:
            agent_id: The agent whose jobs to list.
            created_from: Only jobs created at or after this time: an aware `datetime` or an ISO
                8601 string with its offset (a naive time is refused: it is ambiguous).
            created_to: Only jobs created at or before this time.
            status: Only jobs in this status (an `AgentJobStatusCode`).
            version_name: Only jobs run by the agent version of this name.
            metadata: Only jobs with this metadata: a mapping is sent as a JSON object (assumed;
                the spec says only "a string"), a string as it is.
            search: Text the server searches the jobs for.
            semantic_string: Text the server ranks the jobs by, by meaning (embeddings).
            ordering: Field names to order by (`created_at`, `-created_at` for newest first, ...);
                the server's order otherwise.
            page_size: Jobs per page (1 to 1000); the server's default otherwise.
            limit: How many recent jobs the server considers (its default 100,000; 0 for all).

        Raises:
            ValueError: A bad id or filter (before any request).
            InvalidResponseError: A page that does not match the spec, or pages that leave the
                configured host, never end, come back on themselves or bring nothing new
                (`MAX_STALE_PAGES` in a row). A job listed twice is yielded once.
        """
        return self._items(self._jobs_pager(agent_id, filters))

    def alist_jobs(
        self,
        agent_id: str,
        **filters: Unpack[JobFilters],
    ) -> AsyncIterator[AgentJobSummary]:
        """Async `list_jobs`: an async iterator (`async for job in client.alist_jobs(...)`)."""
        return self._aitems(self._jobs_pager(agent_id, filters))

    def count_jobs(self, agent_id: str, **filters: Unpack[JobFilters]) -> int | None:
        """How many of an agent's jobs the listing counts with these filters: one request.

        The count of a one-job page (`page_size=1`); None when the server does not count. A
        count at the server's cap (`limit`, 100,000 by default) means at least that many.

        Args:
            agent_id: The agent whose jobs to count.
            **filters: As `list_jobs` takes them (`page_size` is set to 1).

        Raises:
            ValueError: A bad id or filter (before any request).
        """
        return self._drive(single_flow(self._count_call(agent_id, filters))).count

    async def acount_jobs(self, agent_id: str, **filters: Unpack[JobFilters]) -> int | None:
        """Async `count_jobs`."""
        return (await self._adrive(single_flow(self._count_call(agent_id, filters)))).count

    def _count_call(self, agent_id: str, filters: JobFilters) -> Call[Page[AgentJobSummary]]:
        one: JobFilters = {**filters, "page_size": 1}
        return jobs_call(agent_id, job_filters(**one))

    def _jobs_pager(self, agent_id: str, filters: JobFilters) -> Pager[AgentJobSummary]:
        """The pager of a `list_jobs` call; every filter is checked here, before any request."""
        return Pager(jobs_call(agent_id, job_filters(**filters)), self.settings)

    def _items(self, pager: Pager[ListedT]) -> Iterator[ListedT]:
        """A listing's items, page after page, each page asked for when the last is used up."""
        call: Call[Page[ListedT]] | None = pager.first
        while call is not None:
            page = self._request(call)
            yield from pager.new(page)
            call = pager.after(call, page)

    async def _aitems(self, pager: Pager[ListedT]) -> AsyncIterator[ListedT]:
        """Async `_items`."""
        call: Call[Page[ListedT]] | None = pager.first
        while call is not None:
            page = await self._arequest(call)
            for item in pager.new(page):
                yield item
            call = pager.after(call, page)

    # What a job cites ---------------------------------------------------------------------------

    def get_reference(self, agent_job_id: str, reference: str | Mapping[str, Any]) -> Blob:
        """Read a file a job cites (`GET /v1/agents/jobs/{agent_job_id}/references/{id}/`).

        `reference` is a resource id, or a reference URL as an output holds it (or an object with
        `resource_id`). A URL must be this API's own (the configured scheme, host and port) and
        the job's: any other is refused before a request is made, since it would carry the key.
        The body is read within `max_reference_bytes`.

        Returns:
            A `Blob`: the bytes, `mimetype` as the server sent it (without parameters; its charset
            as `encoding`), and the reference URL as `source` in its metadata (with
            `agent_job_id`, `resource_id` and the full `content_type`).

        Raises:
            InvalidReferenceError: Not a reference of this job on this API (nothing sent).
            NotFoundError: No such job or resource.
            ResponseTooLargeError: The file is larger than `max_reference_bytes`.
        """
        asked = reference_call(agent_job_id, reference, self.settings)
        return self._drive(reference_flow(asked))

    async def aget_reference(self, agent_job_id: str, reference: str | Mapping[str, Any]) -> Blob:
        """Async `get_reference`."""
        asked = reference_call(agent_job_id, reference, self.settings)
        return await self._adrive(reference_flow(asked))

    def get_reference_info(
        self, agent_job_id: str, reference: str | Mapping[str, Any]
    ) -> ReferenceInfo:
        """What a reference is (type and size) without reading it: a request for its first byte.

        Checked as `get_reference` checks it. The size comes from the answer's `Content-Range`; a
        server that ignores Range sends the file, read within `max_reference_bytes`.
        """
        asked = reference_call(agent_job_id, reference, self.settings, probe=True)
        return self._drive(probe_flow(asked))

    async def aget_reference_info(
        self, agent_job_id: str, reference: str | Mapping[str, Any]
    ) -> ReferenceInfo:
        """Async `get_reference_info`."""
        asked = reference_call(agent_job_id, reference, self.settings, probe=True)
        return await self._adrive(probe_flow(asked))

    def get_artifact(self, agent_job_id: str, artifact_key: str) -> Any:
        """Read an artifact a job names (`GET .../artifacts/result/?artifact_key=...`): its `result`.

        Artifact keys (such as `agent-job-<id>/extraction_123.json`) appear in investigation
        outputs (`evidence_data`); `find_references` finds them.

        Raises:
            InvalidReferenceError: An empty or unprintable key (nothing sent).
            NotFoundError: No such job or artifact.
        """
        return self._drive(artifact_flow(artifact_call(agent_job_id, artifact_key)))

    async def aget_artifact(self, agent_job_id: str, artifact_key: str) -> Any:
        """Async `get_artifact`."""
        return await self._adrive(artifact_flow(artifact_call(agent_job_id, artifact_key)))

    # Runs ---------------------------------------------------------------------------------------

    def run_agent(
        self,
        agent_id: str,
        inputs: Mapping[str, Any],
        **options: Unpack[RunArguments],
    ) -> str:
        """Start one job of the agent on `inputs` and return its id (`POST .../run/.../async/`).

        A `str` value is text (a Roe file id or a URL included), never a path; a `pathlib.Path`,
        `bytes` or binary file object is uploaded (a file object from its start: it is rewound;
        at most `max_upload_bytes`). A list gives one input several values, all sent. The request
        carries an `Idempotency-Key` (`idempotency_key`, or one made for this call) kept across
        retries, so a retry after a timeout or a dropped connection finds the job already started
        instead of starting another (the server's handling of a repeated key is assumed; see the
        README); a 409 "still being processed" is retried under the same key.

        Args:
            agent_id: The agent to run.
            inputs: The run's inputs by key.
            **options: `version_id` (run that version, not the current one), `metadata` (stored
                on the job), `idempotency_key`, `skip_cache` (`RunArguments`).

        Raises:
            ValueError: A bad id or input (before any request).
            APIStatusError: The server refused: 400 with its validation message, 403 (no permission,
                or not enough credits), 404 (no such agent).
        """
        cap = self.settings.max_upload_bytes
        return self._drive(run_flow(run_call(agent_id, inputs, max_upload_bytes=cap, **options)))

    async def arun_agent(
        self,
        agent_id: str,
        inputs: Mapping[str, Any],
        **options: Unpack[RunArguments],
    ) -> str:
        """Async `run_agent`."""
        cap = self.settings.max_upload_bytes
        call = run_call(agent_id, inputs, max_upload_bytes=cap, **options)
        return await self._adrive(run_flow(call))

    def run_agent_many(
        self,
        agent_id: str,
        inputs_list: Sequence[Mapping[str, str]],
        *,
        skip_cache: bool = False,
    ) -> list[str]:
        """Start one job per inputs mapping (`POST .../async/many/`); ids come back in input order.

        One text per input; at most 1000 inputs per request. Each request carries a key, whose
        handling there is undocumented: it is repeated only where the server provably did not act
        (never connected, 408, 429); else it is a `RunOutcomeUnknownError`. Any error after a
        chunk started jobs carries their ids (`created_job_ids`).
        """
        return self._drive(
            run_many_flow(run_many_calls(agent_id, inputs_list, skip_cache=skip_cache))
        )

    async def arun_agent_many(
        self,
        agent_id: str,
        inputs_list: Sequence[Mapping[str, str]],
        *,
        skip_cache: bool = False,
    ) -> list[str]:
        """Async `run_agent_many`."""
        return await self._adrive(
            run_many_flow(run_many_calls(agent_id, inputs_list, skip_cache=skip_cache))
        )

    # Cancelling and deleting -------------------------------------------------------------------

    def cancel_job(self, agent_job_id: str) -> None:
        """Cancel a running job (`POST /v1/agents/jobs/{agent_job_id}/cancel/`); it makes no outputs.

        Retried as a read: cancelling is idempotent in effect (a job cancelled twice is as
        cancelled as once). A refusal, as a repeat after a lost answer might get, is checked with
        the job's status: a job that is CANCELLED returns normally.

        Raises:
            InvalidAgentJobIdError: Not a UUID (before any request).
            NotFoundError: No such job for this key and organization.
            APIStatusError: Another refusal, with the server's message (what it answers for a job
                that has already ended is undocumented).
        """
        return self._drive(cancel_flow(canonical_job_id(agent_job_id)))

    async def acancel_job(self, agent_job_id: str) -> None:
        """Async `cancel_job`."""
        return await self._adrive(cancel_flow(canonical_job_id(agent_job_id)))

    def cancel_agent_jobs(self, agent_id: str) -> int:
        """Cancel every running job of an agent (`POST /v1/agents/{agent_id}/jobs/cancel-all/`).

        Returns how many jobs the server targeted (0 when none was running). Every running job of
        the agent is cancelled, whoever started it. Retried as a read: a repeat targets the jobs
        still running and cancels none twice; after one, the count is the answering attempt's.

        Raises:
            ValueError: `agent_id` is not a UUID (before any request).
        """
        return self._drive(cancel_all_flow(agent_id))

    async def acancel_agent_jobs(self, agent_id: str) -> int:
        """Async `cancel_agent_jobs`."""
        return await self._adrive(cancel_all_flow(agent_id))

    def delete_job_data(self, agent_job_id: str) -> JobDataDeletion:
        """Delete a finished job's inputs, outputs and artifacts (`POST .../delete-data/`).

        The job's metadata stays. Check `complete` (and `errors`) on the answer: a
        `partial_success` is returned, not raised. Sent again only where the server provably did
        not act (connection never made, 408, 429): a repeat after a lost answer would report
        zeros for what was deleted. Another failure is raised; calling again is then safe.

        Raises:
            InvalidAgentJobIdError: Not a UUID (before any request).
            NotFoundError: No such job for this key and organization.
            BadRequestError: The job has not finished (the server's message says so).
        """
        return self._drive(delete_data_flow(canonical_job_id(agent_job_id)))

    async def adelete_job_data(self, agent_job_id: str) -> JobDataDeletion:
        """Async `delete_job_data`."""
        return await self._adrive(delete_data_flow(canonical_job_id(agent_job_id)))

    # Life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connection pool, if this client opened it.

        Async pools close with their event loop, or with `aclose()`.
        """
        self._pools.close()

    async def aclose(self) -> None:
        """Close every connection pool this client opened: the sync one and each loop's async one.

        A pool of another loop that is still running is closed on that loop; one whose loop has
        already shut down was closed then.
        """
        await self._pools.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _within(self, timeout: float, max_retries: int) -> RoeClient:
        """This client, its pools shared, with calls bounded by `timeout` and `max_retries`.

        For what runs on the way out of a load, which must not hold the caller for long.
        """
        settings = self.settings.model_copy(
            update={
                "timeout": min(timeout, self.settings.timeout),
                "max_retries": min(max_retries, self.settings.max_retries),
            }
        )
        bounded = copy.copy(self)
        bounded.settings = settings
        bounded._retry = RetryPolicy(settings.max_retries)
        return bounded

    # Running flows: every method above is a flow run here; the loaders, the retriever and the
    # tools run theirs here too.

    def _drive(self, flow: Flow[T], report: Reporter | None = None) -> T:
        """Run `flow` with this client sending its calls (see `_flow`)."""
        return drive(flow, self._request, report)

    async def _adrive(self, flow: Flow[T], report: Reporter | None = None) -> T:
        """Async `_drive`."""
        return await adrive(flow, self._arequest, report)

    # The send loops: the only code that differs between sync and async ----------------------

    def _request(self, call: Call[T]) -> T:
        arguments = request_arguments(self.settings, call)
        http = self._sync_http()
        for attempt in self._retry.retrying(call):
            with attempt:
                return self._attempt(http, arguments, call)
        raise AssertionError("unreachable: the retrier returns or raises")  # pragma: no cover

    async def _arequest(self, call: Call[T]) -> T:
        arguments = request_arguments(self.settings, call)
        http = await self._async_http_client()
        async for attempt in self._retry.async_retrying(call):
            with attempt:
                return await self._aattempt(http, arguments, call)
        raise AssertionError("unreachable: the retrier returns or raises")  # pragma: no cover

    def _attempt(self, http: httpx.Client, arguments: dict[str, Any], call: Call[T]) -> T:
        """One attempt, over by its deadline: the watchdog shuts its socket if a read hangs."""
        seconds, guard = self.settings.timeout, SocketGuard()
        deadline = time.monotonic() + seconds  # the real clock: a deadline guards against hangs
        request = http.build_request(**arguments, extensions={"trace": guard.trace})
        WATCHDOG.arm(deadline, guard)
        try:
            response = http.send(request, stream=True)
            try:
                guard.watch(response.extensions.get("network_stream"))
                body = BodyCollector(response, call, *body_limit(self.settings, call))
                if not body.took_content():
                    for chunk in response.iter_raw():
                        if not body.add(chunk) or time.monotonic() >= deadline:
                            break
            finally:
                guard.finish()  # before the close: the socket goes back to the pool untouched
                response.close()
        except httpx.RequestError as exc:
            timed_out = guard.expired or time.monotonic() >= deadline
            raise transport_error(exc, call, seconds, timed_out=timed_out) from exc
        finally:
            guard.finish()  # an attempt that failed before its answer
        if time.monotonic() >= deadline:
            raise transport_error(None, call, seconds, timed_out=True)
        return read_response(response, body.body, call)

    async def _aattempt(
        self, http: httpx.AsyncClient, arguments: dict[str, Any], call: Call[T]
    ) -> T:
        """Async `_attempt`: the event loop enforces the deadline."""
        seconds = self.settings.timeout
        request = http.build_request(**arguments)
        try:
            async with asyncio.timeout(seconds):
                response = await http.send(request, stream=True)
                try:
                    body = BodyCollector(response, call, *body_limit(self.settings, call))
                    if not body.took_content():
                        async for chunk in response.aiter_raw():
                            if not body.add(chunk):
                                break
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise transport_error(None, call, seconds, timed_out=True) from exc
        except httpx.RequestError as exc:
            raise transport_error(exc, call, seconds, timed_out=False) from exc
        return read_response(response, body.body, call)

    def _sync_http(self) -> httpx.Client:
        return self._pools.sync()

    async def _async_http_client(self) -> httpx.AsyncClient:
        return await self._pools.for_this_loop()
