"""An answer's body, read from its stream within a size cap, gzip and deflate inflated piece by piece."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from langchain_roe._core._constants import (
    CONTENT_ENCODING_HEADER,
    CONTENT_LENGTH_HEADER,
    ENV_MAX_RESPONSE_BYTES,
    INFLATE_PIECE_BYTES,
    MAX_ERROR_BODY_BYTES,
    REQUEST_ID_HEADER,
)
from langchain_roe._core._exceptions import InvalidResponseError, ResponseTooLargeError

if TYPE_CHECKING:
    from langchain_roe._core._http import Call


class BodyCollector:
    """Gathers an answer's body from its raw stream, decoding it, within a size cap.

    A 2xx body past `limit` decoded bytes is an error (`ResponseTooLargeError`); an error answer is
    only read far enough for its message (`MAX_ERROR_BODY_BYTES`), the rest left unread. gzip and
    deflate (the encodings we ask for) are inflated here a piece at a time, so a compressed body
    costs at most the cap and one piece in memory however far it would inflate.
    """

    __slots__ = ("_body", "_call", "_inflater", "_limit", "_response", "_setting")

    def __init__(
        self,
        response: httpx.Response,
        call: Call[Any],
        limit: int,
        setting: tuple[str, str] = ("max_response_bytes", ENV_MAX_RESPONSE_BYTES),
    ) -> None:
        self._response, self._call, self._setting = response, call, setting
        self._limit = limit if response.is_success else MAX_ERROR_BODY_BYTES
        # One growing buffer, handed over as it is: no second copy of a large body to join it.
        self._body = bytearray()
        encoding = response.headers.get(CONTENT_ENCODING_HEADER, "").strip().lower()
        self._inflater = _Inflater.for_encoding(encoding)
        if self._inflater is None and encoding not in ("", "identity"):
            raise self._invalid(f"is encoded as {encoding!r}, which was not asked for")
        announced = response.headers.get(CONTENT_LENGTH_HEADER, "")
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
        name, env_var = self._setting
        msg = (
            f"the answer to {self._call.describe()} {what}, more than {name}="
            f"{self._limit:,} allows (raise it with {name}=... or {env_var} if the answer is "
            "legitimate)"
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
