"""`RoeClient`: the one place that speaks HTTP to the Roe API, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from langchain_roe._calls import (
    batch_flow,
    result_flow,
    results_call,
    single_flow,
    status_call,
    statuses_call,
)
from langchain_roe._config import RoeSettings
from langchain_roe._exceptions import ConfigurationError, NotFoundError
from langchain_roe._flow import adrive, drive
from langchain_roe._http import Call, read_response, request_arguments, transport_error
from langchain_roe._ids import canonical_job_id, unique_job_ids
from langchain_roe._models import (
    AgentJobResult,
    AgentJobResultItem,
    AgentJobStatus,
    AgentJobStatusItem,
)
from langchain_roe._retry import RetryPolicy

T = TypeVar("T")


class RoeClient:
    """Client for the Roe agent-job endpoints, with the same methods sync and async.

    Settings not given are read from `ROE_API_KEY`, `ROE_ORGANIZATION_ID`, `ROE_BASE_URL`,
    `ROE_TIMEOUT` and `ROE_MAX_RETRIES`. Retryable failures (no answer, 408, 429, 5xx, a garbled
    body) are retried up to `max_retries` times, honouring `Retry-After`.

    Example:
        ```python
        from langchain_roe import RoeClient

        with RoeClient() as client:  # reads ROE_API_KEY
            result = client.get_result("0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10")
            for output in result.outputs:
                print(output.key, output.data_type, output.value)
        ```

    Args:
        api_key: Organization API key (`ROE_API_KEY`); a `Bearer ` prefix is removed.
        organization_id: Organization UUID (`ROE_ORGANIZATION_ID`), sent only when set.
        base_url: API root (`ROE_BASE_URL`), default `https://api.roe-ai.com`.
        timeout: Seconds per HTTP request (`ROE_TIMEOUT`), default 60.
        max_retries: Retries after the first attempt (`ROE_MAX_RETRIES`), default 3; 0 for none.
        http_client: An `httpx.Client` of your own (proxies, mTLS, tests); you close it.
        async_http_client: An `httpx.AsyncClient` of your own; you close it.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        organization_id: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = RoeSettings.resolve(
            api_key=api_key,
            organization_id=organization_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._retry = RetryPolicy(self.settings.max_retries)
        self._http = http_client
        self._owns_http = http_client is None
        self._async_http = async_http_client
        self._owns_async_http = async_http_client is None
        self._async_loop: asyncio.AbstractEventLoop | None = None

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
        return drive(result_flow(canonical_job_id(agent_job_id)), self._request)

    async def aget_result(self, agent_job_id: str) -> AgentJobResult:
        """Async `get_result`."""
        return await adrive(result_flow(canonical_job_id(agent_job_id)), self._arequest)

    # One status -------------------------------------------------------------------------------

    def get_status(self, agent_job_id: str) -> AgentJobStatus:
        """Return a job's status (`GET /v1/agents/jobs/{agent_job_id}/status/`)."""
        return drive(single_flow(status_call(canonical_job_id(agent_job_id))), self._request)

    async def aget_status(self, agent_job_id: str) -> AgentJobStatus:
        """Async `get_status`."""
        return await adrive(
            single_flow(status_call(canonical_job_id(agent_job_id))), self._arequest
        )

    # Many results and statuses ----------------------------------------------------------------

    def get_results(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobResultItem | NotFoundError]:
        """Return many jobs' results (`POST /v1/agents/jobs/results/`), keyed by agent job id.

        Ids are checked and de-duplicated first, then sent in chunks of at most 1000. Each id asked
        for is a key of the answer (canonical lower-case form, in the order given); an id the
        server's answer left out maps to a `NotFoundError`. Items are returned as the server sent
        them: check each one's `status` before reading its `result`.
        """
        return drive(
            batch_flow(unique_job_ids(agent_job_ids), results_call, self.settings), self._request
        )

    async def aget_results(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobResultItem | NotFoundError]:
        """Async `get_results`."""
        return await adrive(
            batch_flow(unique_job_ids(agent_job_ids), results_call, self.settings), self._arequest
        )

    def get_statuses(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobStatusItem | NotFoundError]:
        """Return many jobs' statuses (`POST /v1/agents/jobs/statuses/`), keyed as `get_results`."""
        return drive(
            batch_flow(unique_job_ids(agent_job_ids), statuses_call, self.settings), self._request
        )

    async def aget_statuses(
        self, agent_job_ids: Iterable[str]
    ) -> dict[str, AgentJobStatusItem | NotFoundError]:
        """Async `get_statuses`."""
        return await adrive(
            batch_flow(unique_job_ids(agent_job_ids), statuses_call, self.settings), self._arequest
        )

    # Life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connection pool, if this client opened it."""
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    async def aclose(self) -> None:
        """Close both connection pools this client opened."""
        self.close()
        if self._async_http is not None and self._owns_async_http:
            await self._async_http.aclose()
            self._async_http = None

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

    # The send loops: the only code that differs between sync and async ----------------------

    def _request(self, call: Call[T]) -> T:
        arguments = request_arguments(self.settings, call)
        http = self._sync_http()
        request = http.build_request(**arguments)
        for attempt in self._retry.retrying(call.describe()):
            with attempt:
                try:
                    response = http.send(request)
                except httpx.RequestError as exc:
                    raise transport_error(exc, call, self.settings.timeout) from exc
                return read_response(response, call)
        raise AssertionError("unreachable: the retrier returns or raises")  # pragma: no cover

    async def _arequest(self, call: Call[T]) -> T:
        arguments = request_arguments(self.settings, call)
        http = self._async_http_client()
        request = http.build_request(**arguments)
        async for attempt in self._retry.async_retrying(call.describe()):
            with attempt:
                try:
                    response = await http.send(request)
                except httpx.RequestError as exc:
                    raise transport_error(exc, call, self.settings.timeout) from exc
                return read_response(response, call)
        raise AssertionError("unreachable: the retrier returns or raises")  # pragma: no cover

    def _sync_http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    def _async_http_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._async_http is None or (self._owns_async_http and self._async_loop is not loop):
            # A pool belongs to the event loop that opened it; a new loop gets a new pool.
            self._async_http = httpx.AsyncClient()
            self._async_loop = loop
        return self._async_http


def build_client(client: RoeClient | None = None, **settings: Any) -> RoeClient:
    """The one place the tool, the loader and the command line get their client.

    Raises:
        ConfigurationError: Both a ready client and settings for a new one were given.
    """
    given = sorted(name for name, value in settings.items() if value is not None)
    if client is None:
        return RoeClient(**settings)
    if given:
        msg = f"pass either client=... or client settings ({', '.join(given)}), not both"
        raise ConfigurationError(msg)
    return client
