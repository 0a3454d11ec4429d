"""The transport core: how a call becomes a request and an answer becomes a value or an error.

Everything here is pure (no I/O), so the sync and async clients share every decision and differ only
in how they send.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from langchain_roe._config import RoeSettings
from langchain_roe._constants import (
    AUTHORIZATION_HEADER,
    BEARER_PREFIX,
    ERROR_SNIPPET_CHARS,
    ORGANIZATION_ID_PARAM,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    USER_AGENT_HEADER,
    USER_AGENT_PRODUCT,
)
from langchain_roe._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RoeError,
    ServerError,
)
from langchain_roe._version import __version__

T = TypeVar("T")

USER_AGENT = f"{USER_AGENT_PRODUCT}/{__version__}"

#: The one map from status to error class; any other 5xx is a ServerError, any other 4xx the base.
_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    httpx.codes.UNAUTHORIZED: AuthenticationError,
    httpx.codes.FORBIDDEN: PermissionDeniedError,
    httpx.codes.NOT_FOUND: NotFoundError,
    httpx.codes.TOO_MANY_REQUESTS: RateLimitError,
}

_MESSAGE_KEYS = ("detail", "error", "message")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API call: where it goes, what it sends and how its answer is read."""

    method: str
    path: str
    adapter: TypeAdapter[T]
    body: Any = None
    agent_job_id: str | None = None
    url: str | None = field(default=None)
    """An absolute URL that replaces `path` (a pagination link)."""

    def describe(self) -> str:
        """Name the call for logs and messages, without query parameters or credentials."""
        return f"{self.method} {self.url or self.path}"


def job_path(template: str, agent_job_id: str) -> str:
    """Fill a path template with a percent-encoded agent job id."""
    return template.format(agent_job_id=quote(agent_job_id, safe=""))


def request_arguments(settings: RoeSettings, call: Call[Any]) -> dict[str, Any]:
    """Keyword arguments for `httpx.Client.build_request` (and its async twin) for `call`.

    Raises:
        ConfigurationError: No API key is configured.
    """
    headers = {
        AUTHORIZATION_HEADER: BEARER_PREFIX + settings.require_api_key(),
        USER_AGENT_HEADER: USER_AGENT,
        "Accept": "application/json",
    }
    params = {ORGANIZATION_ID_PARAM: settings.organization_id} if settings.organization_id else None
    return {
        "method": call.method,
        "url": call.url or settings.base_url + call.path,
        "params": params,
        "json": call.body,
        "headers": headers,
        "timeout": settings.timeout,
    }


def read_response(response: httpx.Response, call: Call[T]) -> T:
    """Return the parsed body of a 2xx answer, or raise the error the answer stands for.

    Raises:
        APIStatusError: The status is 4xx or 5xx (the subclass for the status).
        InvalidResponseError: A 2xx body that is not JSON of the expected shape.
    """
    if response.is_success:
        try:
            return call.adapter.validate_json(response.content)
        except ValidationError as exc:
            msg = f"unexpected answer to {call.describe()}: {_summarise(exc)}"
            raise InvalidResponseError(
                msg,
                status_code=response.status_code,
                request_id=response.headers.get(REQUEST_ID_HEADER),
                agent_job_id=call.agent_job_id,
            ) from exc
    raise status_error(response, call)


def status_error(response: httpx.Response, call: Call[Any]) -> APIStatusError:
    """Build the typed error for a 4xx or 5xx answer."""
    status = response.status_code
    error_class = _STATUS_ERRORS.get(status)
    if error_class is None:
        error_class = ServerError if status >= httpx.codes.INTERNAL_SERVER_ERROR else APIStatusError
    body = _body(response)
    return error_class(
        error_message(body, response),
        status_code=status,
        request_id=response.headers.get(REQUEST_ID_HEADER),
        agent_job_id=call.agent_job_id,
        body=body,
        retry_after=parse_retry_after(response.headers.get(RETRY_AFTER_HEADER)),
    )


def transport_error(exc: httpx.RequestError, call: Call[Any], timeout: float) -> RoeError:
    """Translate an httpx failure with no answer into our error tree."""
    if isinstance(exc, httpx.TimeoutException):
        msg = f"no answer to {call.describe()} within the {timeout:g}s timeout"
        return APITimeoutError(msg, agent_job_id=call.agent_job_id)
    reason = str(exc) or type(exc).__name__
    msg = f"connection failed for {call.describe()}: {reason}"
    return APIConnectionError(msg, agent_job_id=call.agent_job_id)


def error_message(body: object, response: httpx.Response) -> str:
    """The server's message: `detail`, `error`, `message`, the first string or list, else a snippet."""
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
        body = list(body.values())
    if isinstance(body, list):
        for item in body:
            first = item[0] if isinstance(item, list) and item else item
            if isinstance(first, str) and first:
                return first
    if isinstance(body, str) and body.strip():
        return " ".join(body.split())[:ERROR_SNIPPET_CHARS]
    return response.reason_phrase or f"HTTP {response.status_code}"


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - now(), 0.0)


def _body(response: httpx.Response) -> object:
    try:
        return json.loads(response.content)
    except ValueError:
        return response.text


def _summarise(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
