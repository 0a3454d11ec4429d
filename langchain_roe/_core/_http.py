"""The transport core: how a call becomes a request and an answer becomes a value or an error.

Everything here is pure (no I/O), so the sync and async clients share every decision and differ only
in how they send.
"""

from __future__ import annotations

import email.utils
import enum
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from langchain_roe._core import _json
from langchain_roe._core._config import SETTING_ENV_VARS, RoeSettings
from langchain_roe._core._constants import (
    ACCEPT_ENCODING,
    ACCEPT_ENCODING_HEADER,
    ACCEPT_HEADER,
    ANY_MEDIA_TYPE,
    AUTHORIZATION_HEADER,
    BEARER_PREFIX,
    ERROR_SNIPPET_CHARS,
    JSON_MEDIA_TYPE,
    MAX_SANE_RETRY_AFTER,
    ORGANIZATION_ID_PARAM,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    USER_AGENT_HEADER,
    USER_AGENT_PRODUCT,
)
from langchain_roe._core._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
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
    httpx.codes.BAD_REQUEST: BadRequestError,
    httpx.codes.UNAUTHORIZED: AuthenticationError,
    httpx.codes.FORBIDDEN: PermissionDeniedError,
    httpx.codes.NOT_FOUND: NotFoundError,
    httpx.codes.TOO_MANY_REQUESTS: RateLimitError,
}

_MESSAGE_KEYS = ("detail", "error", "message")

#: Failures before a byte of the request left: the server cannot have acted on it.
_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def body_limit(settings: RoeSettings, call: Call[Any]) -> tuple[int, tuple[str, str]]:
    """How much of `call`'s answer may be read, and the setting (and variable) that says so."""
    if call.binary:
        return settings.max_reference_bytes, (
            "max_reference_bytes",
            SETTING_ENV_VARS["max_reference_bytes"],
        )
    return settings.max_response_bytes, (
        "max_response_bytes",
        SETTING_ENV_VARS["max_response_bytes"],
    )


Decode = Callable[[bytes | bytearray, httpx.Headers], T]
"""How a 2xx body (and its headers) becomes a value; a `ValueError` (pydantic's `ValidationError` is
one) if it cannot. JSON decoders ignore the headers; a file's decoder reads its type from them."""


_DECODERS: dict[object, Decode[Any]] = {}


def decoder(kind: type[T]) -> Decode[T]:
    """How a JSON answer becomes a `kind` (a pydantic model, or a type pydantic validates).

    One decoder per type, made on first use and kept, so a call names its answer's type where it
    is made: `Call("GET", path, decoder(TableList))`.
    """
    decode = _DECODERS.get(kind)
    if decode is None:  # two threads may both make one; either serves
        decode = _DECODERS[kind] = adapter_decoder(TypeAdapter(kind))
    return decode


def adapter_decoder(adapter: TypeAdapter[T]) -> Decode[T]:
    """Decode with a pydantic adapter: JSON read as `_json` reads untrusted JSON, then validated.

    For an answer no plain type describes (a union validated left to right); `decoder` otherwise.
    """
    validate = adapter.validate_python

    def decode(content: bytes | bytearray, headers: object = None) -> T:
        return validate(_json.loads(content))

    return decode


def no_body(content: bytes | bytearray, headers: object = None) -> None:
    """Decode a `204` (or any 2xx) whose body, if any, says nothing the caller needs."""


class Retry(enum.Enum):
    """When a failed call may be sent again."""

    READ = "read"
    """A read: whenever another attempt may succeed (no answer, 408, 429, 5xx, a garbled body)."""
    KEYED = "keyed"
    """An action sent with an `Idempotency-Key` kept across attempts: as a read, the key making a
    repeat land on the job already created."""
    UNSENT = "unsent"
    """An action with no key: only where the server provably did not act (the connection was never
    made, 408, 429). Starting a job twice costs the user twice."""


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API call: where it goes, what it sends and how its answer is read."""

    method: str
    path: str
    decode: Decode[T]
    body: Any = None
    """A JSON body."""
    agent_job_id: str | None = None
    url: str | None = field(default=None)
    """An absolute URL that replaces `path` (a pagination link)."""
    params: Mapping[str, str] | None = None
    """Query parameters besides `organization_id`."""
    headers: Mapping[str, str] | None = None
    """Headers besides the ones every call sends."""
    form: Mapping[str, str | Sequence[str]] | None = None
    """Form fields (several values of one name are repeated fields): a multipart body with
    `files`, else a urlencoded one."""
    files: Sequence[tuple[str, tuple[str, bytes, str]]] | None = None
    """File parts of a multipart body: (field, (file name, bytes, MIME type))."""
    retry: Retry = Retry.READ
    binary: bool = False
    """The answer is a file, not JSON: any media type is accepted, and its size is capped by
    `max_reference_bytes` instead of `max_response_bytes`."""

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
        ACCEPT_HEADER: ANY_MEDIA_TYPE if call.binary else JSON_MEDIA_TYPE,
        ACCEPT_ENCODING_HEADER: ACCEPT_ENCODING,
    }
    if call.headers:
        headers.update(call.headers)
    params = dict(call.params or {})
    if settings.organization_id:
        params[ORGANIZATION_ID_PARAM] = settings.organization_id
    url: str | httpx.URL = call.url or settings.base_url + call.path
    if params:  # merged into the URL: httpx's `params=` would replace a link's own query (a page)
        url = httpx.URL(url).copy_merge_params(params)
    arguments: dict[str, Any] = {
        "method": call.method,
        "url": url,
        "headers": headers,
        "timeout": settings.timeout,
    }
    if call.form is not None or call.files:
        arguments["data"] = dict(call.form or {})
        arguments["files"] = list(call.files) if call.files else None
    else:
        arguments["json"] = call.body
    return arguments


def read_response(response: httpx.Response, content: bytes | bytearray, call: Call[T]) -> T:
    """Return the parsed body of a 2xx answer, or raise the error the answer stands for.

    Raises:
        APIStatusError: The status is 4xx or 5xx (the subclass for the status).
        InvalidResponseError: A 2xx body that is not JSON of the expected shape.
    """
    if not response.is_success:
        raise status_error(response, content, call)
    try:
        return call.decode(content, response.headers)
    except ValueError as exc:  # not JSON, or pydantic's ValidationError (a ValueError too)
        reason = summarise(exc) if isinstance(exc, ValidationError) else "the body is not JSON"
        msg = redacted(f"unexpected answer to {call.describe()}: {reason}", sent_secrets(response))
        raise InvalidResponseError(
            msg,
            status_code=response.status_code,
            request_id=response.headers.get(REQUEST_ID_HEADER),
            agent_job_id=call.agent_job_id,
        ) from exc


def status_error(
    response: httpx.Response, content: bytes | bytearray, call: Call[Any]
) -> APIStatusError:
    """Build the typed error for a 4xx or 5xx answer whose body (or its start) is `content`."""
    status = response.status_code
    error_class = _STATUS_ERRORS.get(status)
    if error_class is None:
        error_class = ServerError if status >= httpx.codes.INTERNAL_SERVER_ERROR else APIStatusError
    secrets = sent_secrets(response)
    body = redacted(_body(content, response), secrets)
    return error_class(
        redacted(error_message(body, response), secrets),
        status_code=status,
        request_id=response.headers.get(REQUEST_ID_HEADER),
        agent_job_id=call.agent_job_id,
        body=body,
        retry_after=parse_retry_after(response.headers.get(RETRY_AFTER_HEADER)),
    )


def transport_error(
    exc: httpx.RequestError | None, call: Call[Any], timeout: float, *, timed_out: bool
) -> RoeError:
    """Translate a failure with no (complete) answer into our error tree.

    `timed_out` says the attempt's deadline passed: whatever httpx saw then is a timeout. httpx's
    own message is quoted for other failures, with the request's credentials taken out (a proxy or
    transport may quote a header).
    """
    if timed_out or isinstance(exc, httpx.TimeoutException):
        msg = f"no complete answer to {call.describe()} within the {timeout:g}s timeout"
        return APITimeoutError(msg, agent_job_id=call.agent_job_id)
    reason = (str(exc) or type(exc).__name__) if exc is not None else "no answer"
    if exc is not None:
        reason = redacted(reason, sent_secrets(exc))
    if isinstance(exc, _NEVER_SENT):
        msg = (
            f"could not connect to {_host_of(exc)} for {call.describe()}: {reason} (the request "
            "never reached the server)"
        )
        return APIConnectionError(msg, agent_job_id=call.agent_job_id, request_sent=False)
    msg = f"connection failed for {call.describe()}: {reason}"
    return APIConnectionError(msg, agent_job_id=call.agent_job_id)


#: A credential shorter than this is not looked for in a server's text: redacting it would blot
#: out ordinary words (a real Roe key is far longer).
MIN_REDACTED_CHARS: Final = 8
REDACTION: Final = "[redacted]"


def sent_secrets(response: httpx.Response | httpx.RequestError) -> tuple[str, ...]:
    """What of the request's credentials a server could echo back: its Authorization value and key.

    A gateway that echoes request headers in an error page (or a proxy quoting them in a failure)
    would otherwise put the key into an error's message, and from there into logs and a model's
    tool message.
    """
    try:
        value = response.request.headers.get(AUTHORIZATION_HEADER, "")
    except RuntimeError:  # made without a request (in tests): nothing was sent
        return ()
    token = value[len(BEARER_PREFIX) :] if value.startswith(BEARER_PREFIX) else value
    return tuple(s for s in (value, token) if len(s) >= MIN_REDACTED_CHARS)


def redacted(value: Any, secrets: Sequence[str]) -> Any:
    """`value` (text, or JSON made of lists, dicts and text) with each secret replaced."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:  # the whole header value first, then the bare key
            value = value.replace(secret, REDACTION)
        return value
    if isinstance(value, list):
        return [redacted(item, secrets) for item in value]
    if isinstance(value, dict):
        return {redacted(k, secrets): redacted(v, secrets) for k, v in value.items()}
    return value


def _host_of(exc: httpx.RequestError) -> str:
    """The host (and port) a failed request was for, as the user configured it."""
    try:
        url = exc.request.url
    except RuntimeError:  # an error raised without its request
        return "the API"
    return f"{url.host}:{url.port}" if url.port is not None else url.host


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
    """Seconds to wait from a `Retry-After` header (delay-seconds or HTTP date).

    None when absent, unreadable, not finite, or further off than `MAX_SANE_RETRY_AFTER`: such a
    header is noise, not advice.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        seconds = when.timestamp() - now()
    if not math.isfinite(seconds) or seconds > MAX_SANE_RETRY_AFTER:
        return None
    return max(seconds, 0.0)


def _body(content: bytes | bytearray, response: httpx.Response) -> object:
    try:
        return _json.loads(content)
    except ValueError:
        return content.decode(response.encoding or "utf-8", errors="replace")


def summarise(exc: ValidationError) -> str:
    """The first problem a validation error found (no input quoted), and how many more there are."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
