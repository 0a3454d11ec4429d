"""What a job cites: its reference files and its artifacts, as `Call`s and flows.

A reference is named by a resource id or by its URL as an output holds it. A URL is followed only
when it is one of the configured API's own reference URLs for the same job (scheme, host, port
and path checked) and never otherwise: the request carries the key. Reference bodies are files,
read within `max_reference_bytes`; an artifact is JSON, `{"result": ...}`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx
from langchain_core.documents.base import Blob
from pydantic import BaseModel, ConfigDict

from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import (
    ARTIFACT_KEY_PARAM,
    ARTIFACT_PATH,
    CONTENT_RANGE_HEADER,
    CONTENT_TYPE_HEADER,
    FIRST_BYTE_RANGE,
    MAX_ARTIFACT_KEY_CHARS,
    MAX_RESOURCE_ID_CHARS,
    RANGE_HEADER,
    REFERENCE_PATH,
)
from langchain_roe._core._exceptions import APIStatusError, InvalidReferenceError
from langchain_roe._core._formats import canonical_job_id
from langchain_roe._core._http import Call, decoder, job_path

#: A reference URL's path after the API root: the job it belongs to and its resource id.
_REFERENCE_PATH = re.compile(
    r"/v1/agents/jobs/(?P<agent_job_id>[^/]+)/references/(?P<resource_id>[^/]+)/?"
)
_DEFAULT_PORTS = {"https": 443, "http": 80}


class _ArtifactResult(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    result: Any
    """The artifact's content (required: an answer without it is an `InvalidResponseError`)."""


@dataclass(frozen=True, slots=True)
class ReferenceInfo:
    """What a reference file is, learnt without reading it: its type and size."""

    source: str
    """The reference URL."""
    resource_id: str
    """Its resource id."""
    content_type: str | None
    """Its `Content-Type` as the server sent it."""
    size: int | None
    """Its size in bytes, when the server said (or sent it whole)."""

    @property
    def media_type(self) -> str | None:
        """The media type without parameters, lower case."""
        return split_content_type(self.content_type)[0]


@dataclass(frozen=True, slots=True)
class Binary:
    """A file's bytes as the server sent them, with its `Content-Type`."""

    content: bytes
    content_type: str | None
    total: int | None = None
    """The whole file's size when the answer is a part of it (`Content-Range: bytes a-b/total`)."""


def read_file(content: bytes | bytearray, headers: httpx.Headers) -> Binary:
    """A reference's answer: its bytes, its type and (for a part) the whole file's size."""
    content_range = headers.get(CONTENT_RANGE_HEADER) or ""
    total = content_range.rsplit("/", 1)[-1].strip() if "/" in content_range else ""
    return Binary(
        bytes(content), headers.get(CONTENT_TYPE_HEADER), int(total) if total.isdigit() else None
    )


@dataclass(frozen=True, slots=True)
class ReferenceCall:
    """A reference request, the URL it stands for, and the resource id it names."""

    call: Call[Binary]
    url: str
    resource_id: str


def reference_call(
    agent_job_id: str,
    reference: str | Mapping[str, Any],
    settings: RoeSettings,
    *,
    probe: bool = False,
) -> ReferenceCall:
    """`GET .../references/{resource_id}/` for a reference, with the URL it stands for.

    Raises:
        InvalidAgentJobIdError: The job id is not a UUID.
        InvalidReferenceError: Not a resource id, another job's reference, or a URL off the
            configured API; nothing is sent.
    """
    agent_job_id = canonical_job_id(agent_job_id)
    resource_id = resource_id_of(agent_job_id, reference, settings)
    path = REFERENCE_PATH.format(
        agent_job_id=quote(agent_job_id, safe=""), resource_id=quote(resource_id, safe="")
    )
    headers = {RANGE_HEADER: FIRST_BYTE_RANGE} if probe else None
    call = Call("GET", path, read_file, agent_job_id=agent_job_id, headers=headers, binary=True)
    return ReferenceCall(call, settings.base_url + path, resource_id)


def artifact_call(agent_job_id: str, artifact_key: str) -> Call[_ArtifactResult]:
    """`GET .../artifacts/result/?artifact_key=...`.

    Raises:
        InvalidAgentJobIdError: The job id is not a UUID.
        InvalidReferenceError: The key is empty, too long or not printable text.
    """
    agent_job_id = canonical_job_id(agent_job_id)
    if (
        not isinstance(artifact_key, str)
        or not artifact_key.strip()
        or len(artifact_key) > MAX_ARTIFACT_KEY_CHARS
        or not artifact_key.isprintable()
    ):
        example = "'agent-job-<id>/extraction_1.json'"
        msg = f"artifact_key must be an artifact key such as {example}, got {artifact_key!r:.120}"
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
    return Call(
        "GET",
        job_path(ARTIFACT_PATH, agent_job_id),
        decoder(_ArtifactResult),
        agent_job_id=agent_job_id,
        params={ARTIFACT_KEY_PARAM: artifact_key},
    )


def reference_flow(asked: ReferenceCall) -> Generator[Call[Any], Any, Blob]:
    """Read a reference: its bytes, its media type, and its URL as the Blob's source."""
    answer: Binary = yield asked.call
    media_type, charset = split_content_type(answer.content_type)
    metadata = {
        "source": asked.url,
        "agent_job_id": asked.call.agent_job_id,
        "resource_id": asked.resource_id,
        "content_type": answer.content_type or "",
    }
    return Blob(
        data=answer.content,
        mimetype=media_type,
        encoding=charset or "utf-8",
        metadata=metadata,
    )


def probe_flow(asked: ReferenceCall) -> Generator[Call[Any], Any, ReferenceInfo]:
    """Ask for a reference's first byte: its type, and its size from `Content-Range`.

    A server that ignores Range sends the whole file (read within the cap): its length is the size.
    """
    try:
        answer: Binary = yield asked.call
    except APIStatusError as error:
        if error.status_code != httpx.codes.REQUESTED_RANGE_NOT_SATISFIABLE:
            raise
        return ReferenceInfo(asked.url, asked.resource_id, None, 0)  # not a byte: an empty file
    size = answer.total if answer.total is not None else len(answer.content)
    return ReferenceInfo(asked.url, asked.resource_id, answer.content_type, size)


def artifact_flow(call: Call[_ArtifactResult]) -> Generator[Call[Any], Any, Any]:
    """Read an artifact: the `result` of its answer."""
    answer: _ArtifactResult = yield call
    return answer.result


def resource_id_of(
    agent_job_id: str, reference: str | Mapping[str, Any], settings: RoeSettings
) -> str:
    """The resource id `reference` names.

    Given as one, as a reference URL, or as an object with `resource_id` (or `url`).

    Raises:
        InvalidReferenceError: As `reference_call` says.
    """
    if isinstance(reference, Mapping):
        named = reference.get("resource_id") or reference.get("url")
        if not isinstance(named, str):
            msg = f"a reference object needs a 'resource_id' or 'url' string, got {dict(reference)!r:.200}"
            raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
        reference = named
    if not isinstance(reference, str):
        msg = f"reference must be a resource id or a reference URL, got {type(reference).__name__}"
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
    reference = reference.strip()
    if "://" in reference or reference.startswith("//"):
        return _from_url(agent_job_id, reference, settings)
    return _checked(agent_job_id, reference)


def split_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    """A `Content-Type` as its media type (lower case, no parameters) and its charset.

    A charset Python does not know is dropped (the text is then read as UTF-8, unreadable bytes
    replaced): a server's label must not make reading the reference fail with a `LookupError`.
    """
    if not content_type:
        return None, None
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    if charset is not None:
        try:
            codecs.lookup(charset)
        except (LookupError, ValueError):  # unknown, or not even a name (a NUL inside)
            charset = None
    return media_type.lower() or None, charset


def _from_url(agent_job_id: str, reference: str, settings: RoeSettings) -> str:
    try:
        url = httpx.URL(reference)
    except httpx.InvalidURL:
        msg = f"the reference {reference!r:.200} is not a valid URL"
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id) from None
    base = httpx.URL(settings.base_url)
    if _origin(url) != _origin(base) or url.userinfo:
        msg = (
            f"the reference {reference!r:.200} does not point at the configured Roe API "
            f"({settings.base_url}): it is not fetched, since the request would carry the API key"
        )
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
    root = base.path.rstrip("/")
    path = url.path
    match = _REFERENCE_PATH.fullmatch(path[len(root) :]) if path.startswith(root) else None
    if match is None:
        shape = ".../v1/agents/jobs/<id>/references/<resource id>/"
        msg = f"the URL {reference!r:.200} is not a Roe reference URL ({shape})"
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
    try:
        cited_by = canonical_job_id(unquote(match["agent_job_id"]))
    except ValueError:
        cited_by = match["agent_job_id"]
    if cited_by != agent_job_id:
        msg = (
            f"the reference {reference!r:.200} belongs to agent job {cited_by}, not {agent_job_id}"
        )
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
    return _checked(agent_job_id, unquote(match["resource_id"]))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    scheme = url.scheme.lower()
    return scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme)


def _checked(agent_job_id: str, resource_id: str) -> str:
    if (
        not resource_id
        or len(resource_id) > MAX_RESOURCE_ID_CHARS
        or resource_id in (".", "..")
        or "/" in resource_id
        or "\\" in resource_id
        or not resource_id.isascii()
        or not resource_id.isprintable()
        or any(character.isspace() for character in resource_id)
    ):
        msg = f"{resource_id!r:.120} is not a reference's resource id (such as '3a5c7e9b-....md')"
        raise InvalidReferenceError(msg, agent_job_id=agent_job_id)
    return resource_id
