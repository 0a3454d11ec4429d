"""The transport core: how a call becomes a request and an answer becomes a value or an error.

Everything here is pure (no I/O), so the sync and async clients share every decision and differ only
in how they send.
"""

from __future__ import annotations

import email.utils
import enum
import math
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from langchain_roe import _json
from langchain_roe._config import RoeSettings
from langchain_roe._constants import (
    ACCEPT_ENCODING,
    AUTHORIZATION_HEADER,
    BEARER_PREFIX,
    ENV_MAX_RESPONSE_BYTES,
    ERROR_SNIPPET_CHARS,
    INFLATE_PIECE_BYTES,
    MAX_ERROR_BODY_BYTES,
    MAX_SANE_RETRY_AFTER,
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
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
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


Decode = Callable[[bytes | bytearray], T]
"""How a 2xx body becomes a value; a `ValueError` (pydantic's `ValidationError` is one) if it cannot."""


def decoder(adapter: TypeAdapter[T]) -> Decode[T]:
    """Decode with a pydantic model: JSON read as `_json` reads untrusted JSON, then validated."""

    def decode(content: bytes | bytearray) -> T:
        return adapter.validate_python(_json.loads(content))

    return decode


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
    form: Mapping[str, str] | None = None
    """Form fields of a multipart body (with `files`)."""
    files: Sequence[tuple[str, tuple[str, bytes, str]]] | None = None
    """File parts of a multipart body: (field, (file name, bytes, MIME type))."""
    retry: Retry = Retry.READ

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
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if call.headers:
        headers.update(call.headers)
    params = dict(call.params or {})
    if settings.organization_id:
        params[ORGANIZATION_ID_PARAM] = settings.organization_id
    arguments: dict[str, Any] = {
        "method": call.method,
        "url": call.url or settings.base_url + call.path,
        "params": params or None,
        "headers": headers,
        "timeout": settings.timeout,
    }
    if call.files:
        arguments["data"], arguments["files"] = dict(call.form or {}), list(call.files)
    else:
        arguments["json"] = call.body
    return arguments


class BodyCollector:
    """Gathers an answer's body from its raw stream, decoding it, within a size cap.

    A 2xx body past `limit` decoded bytes is an error (`ResponseTooLargeError`); an error answer is
    only read far enough for its message (`MAX_ERROR_BODY_BYTES`), the rest left unread. gzip and
    deflate (the encodings we ask for) are inflated here a piece at a time, so a compressed body
    costs at most the cap and one piece in memory however far it would inflate.
    """

    __slots__ = ("_body", "_call", "_inflater", "_limit", "_response")

    def __init__(self, response: httpx.Response, call: Call[Any], limit: int) -> None:
        self._response, self._call = response, call
        self._limit = limit if response.is_success else MAX_ERROR_BODY_BYTES
        # One growing buffer, handed over as it is: no second copy of a large body to join it.
        self._body = bytearray()
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        self._inflater = _Inflater.for_encoding(encoding)
        if self._inflater is None and encoding not in ("", "identity"):
            raise self._invalid(f"is encoded as {encoding!r}, which was not asked for")
        announced = response.headers.get("Content-Length", "")
        plain = self._inflater is None
        if response.is_success and plain and announced.isdigit() and int(announced) > limit:
            raise self._too_large(f"announces {int(announced):,} bytes")

    def took_content(self) -> bool:
        """Keep the body if the response was read when made (a transport answering from memory).

        Such a body is decoded already; True when there was one, and the raw stream is not read.
        """
        if not self._response.is_stream_consumed:
            return False
        self._inflater = None
        self._keep(self._response.content)
        return True

    def add(self, raw: bytes) -> bool:
        """Keep the body `raw` (as received) holds; False once enough is kept (an error's prefix).

        Raises:
            ResponseTooLargeError: A 2xx body grew past the cap.
            InvalidResponseError: The compressed body is corrupt.
        """
        if self._inflater is None:
            return self._keep(raw)
        try:
            for piece in self._inflater.pieces(raw):
                if not self._keep(piece):
                    return False
        except zlib.error as exc:
            raise self._invalid(f"has a corrupt compressed body ({exc})") from None
        return True

    def content(self) -> bytearray:
        """The body read (the collector's own buffer, not a copy)."""
        return self._body

    def _keep(self, piece: bytes) -> bool:
        room = self._limit - len(self._body)
        if len(piece) <= room:
            self._body += piece
            return True
        if not self._response.is_success:
            self._body += piece[:room]
            return False
        raise self._too_large(f"grew past {self._limit:,} bytes")

    def _too_large(self, what: str) -> ResponseTooLargeError:
        msg = (
            f"the answer to {self._call.describe()} {what}, more than max_response_bytes="
            f"{self._limit:,} allows (raise it with max_response_bytes=... or "
            f"{ENV_MAX_RESPONSE_BYTES} if the answer is legitimate)"
        )
        return ResponseTooLargeError(
            msg,
            status_code=self._response.status_code,
            request_id=self._response.headers.get(REQUEST_ID_HEADER),
            agent_job_id=self._call.agent_job_id,
        )

    def _invalid(self, what: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"the answer to {self._call.describe()} {what}",
            status_code=self._response.status_code,
            request_id=self._response.headers.get(REQUEST_ID_HEADER),
            agent_job_id=self._call.agent_job_id,
        )


class _Inflater:
    """gzip or deflate, inflated at most `INFLATE_PIECE_BYTES` at a time."""

    __slots__ = ("_decompressor", "_raw_deflate_fallback")

    def __init__(self, wbits: int, *, raw_deflate_fallback: bool = False) -> None:
        self._decompressor = zlib.decompressobj(wbits)
        self._raw_deflate_fallback = raw_deflate_fallback

    @classmethod
    def for_encoding(cls, encoding: str) -> _Inflater | None:
        if encoding in ("gzip", "x-gzip"):
            return cls(zlib.MAX_WBITS | 16)
        if encoding == "deflate":  # zlib-wrapped as the spec says, or raw as some servers send
            return cls(zlib.MAX_WBITS, raw_deflate_fallback=True)
        return None

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                piece = self._decompressor.decompress(data, INFLATE_PIECE_BYTES)
            except zlib.error:
                if not self._raw_deflate_fallback:
                    raise
                self._raw_deflate_fallback = False
                self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_deflate_fallback = False
            data = self._decompressor.unconsumed_tail
            if piece:
                yield piece
            if not data and len(piece) < INFLATE_PIECE_BYTES:
                return


def read_response(response: httpx.Response, content: bytes | bytearray, call: Call[T]) -> T:
    """Return the parsed body of a 2xx answer, or raise the error the answer stands for.

    Raises:
        APIStatusError: The status is 4xx or 5xx (the subclass for the status).
        InvalidResponseError: A 2xx body that is not JSON of the expected shape.
    """
    if not response.is_success:
        raise status_error(response, content, call)
    try:
        return call.decode(content)
    except ValueError as exc:  # not JSON, or pydantic's ValidationError (a ValueError too)
        reason = summarise(exc) if isinstance(exc, ValidationError) else "the body is not JSON"
        msg = f"unexpected answer to {call.describe()}: {reason}"
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
    body = _body(content, response)
    return error_class(
        error_message(body, response),
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
    own message is not quoted for other failures when it could hold a header (and so the key).
    """
    if timed_out or isinstance(exc, httpx.TimeoutException):
        msg = f"no complete answer to {call.describe()} within the {timeout:g}s timeout"
        return APITimeoutError(msg, agent_job_id=call.agent_job_id)
    reason = (str(exc) or type(exc).__name__) if exc is not None else "no answer"
    if "Bearer" in reason or "Authorization" in reason:
        reason = type(exc).__name__
    if isinstance(exc, _NEVER_SENT):
        msg = f"could not connect for {call.describe()}: {reason}"
        return APIConnectionError(msg, agent_job_id=call.agent_job_id, request_sent=False)
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
