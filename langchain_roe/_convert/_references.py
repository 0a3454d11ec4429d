"""What a job's outputs cite, found; and a fetched reference as Documents.

`find_references` is pure: it reads outputs and never asks the API. It finds reference URLs
(`.../v1/agents/jobs/<id>/references/<resource id>/`), `{"resource_id": ...}` objects and artifact
keys (`agent-job-<id>/<name>`) anywhere in an output's JSON value (or its text), in order, each once
per output. Which of them may be fetched is `RoeClient.get_reference`'s decision, not this one's.
"""

from __future__ import annotations

import json
import mimetypes
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson
from langchain_core.documents import Document
from langchain_core.documents.base import Blob

from langchain_roe._convert._documents import DOCUMENT_ID_NAMESPACE, Metadata, Output, is_json_type
from langchain_roe._core._formats import ARTIFACT_KEY, UUID_PATTERN
from langchain_roe._core._references import split_content_type

if TYPE_CHECKING:
    from langchain_core.document_loaders import BaseBlobParser

# How much of a job's outputs is searched for citations (a value holding more is not searched
# further), and the text types a reference's bytes are read as (besides any `text/*`).
MAX_REFERENCE_SCAN_NODES: Final = 100_000
TEXT_LIKE_MEDIA_TYPES: Final = frozenset(
    {"application/json", "application/xhtml+xml", "application/xml", "application/x-ndjson"}
)


__all__ = ["JobReference", "find_references"]

#: A reference URL is `https?://<host...>/v1/agents/jobs/<id>/references/<resource id>/?`, all of
#: it free of whitespace, quotes and angle brackets ("stop" characters); its host is as short as can
#: be.
#: Found from its fixed path (`_PATH`) and then its scheme (`_SCHEME`), never by a lazy run from
#: every `http`: each character is looked at a bounded number of times.
_SCHEME = re.compile(r"https?://")
_PATH = re.compile(rf"/v1/agents/jobs/{UUID_PATTERN}/references/(?P<resource_id>[^/\s\"'<>?#]+)/?")
#: Up to the last character before `endpos` that no URL holds (greedy, so one pass back).
_LAST_STOP = re.compile(r"[\s\S]*[\s\"'<>]")
_NAMESPACE = uuid.UUID(DOCUMENT_ID_NAMESPACE)
#: What every citation holds somewhere in its output's value: a URL's path, a key's prefix or an
#: object's field name.
_MARKERS = ("/references/", "agent-job-", "resource_id")


@dataclass(frozen=True, slots=True)
class JobReference:
    """One thing an output cites: a reference file or an artifact."""

    kind: Literal["reference", "artifact"]
    """`reference`: a file (`RoeClient.get_reference`); `artifact`: JSON (`get_artifact`)."""
    value: str
    """What to ask for: the reference URL (or resource id) as the output gives it, or the
    artifact key."""
    output_key: str
    """The key of the output that cites it."""
    output_index: int
    """That output's position among the job's outputs."""
    resource_id: str | None = None
    """A reference's resource id; None for an artifact."""

    @property
    def guessed_type(self) -> str | None:
        """The media type a reference's name suggests (`.md`, `.html`, `.png`, ...), if any."""
        if self.resource_id is None:
            return None
        return mimetypes.guess_type(self.resource_id, strict=False)[0] or (
            "text/markdown" if self.resource_id.lower().endswith(".md") else None
        )


def find_references(outputs: Sequence[Output]) -> list[JobReference]:
    """The references and artifact keys a job's outputs cite, in output order, each once per output.

    Both shapes the API's examples show are found: reference URL strings (in a `references` list
    or anywhere else) and objects with a `resource_id` (and perhaps a `url`). JSON values are read
    as JSON (up to `MAX_REFERENCE_SCAN_NODES` values each); other values are searched as text.
    """
    found: list[JobReference] = []
    for index, output in enumerate(outputs):
        seen: set[tuple[str, str]] = set()
        for kind, value, resource_id in _cited(output):
            if (kind, resource_id or value) in seen:
                continue
            seen.add((kind, resource_id or value))
            found.append(JobReference(kind, value, output.key, index, resource_id))
    return found


def cited_once(references: Iterable[JobReference]) -> list[tuple[JobReference, list[str]]]:
    """Each reference file once per job, with the keys of the outputs that cite it.

    A file two outputs cite (by URL or resource id) is one reference: its first citation, in
    output order, and every citing output's key, each once. Artifacts are left out (they are read
    one at a time, not loaded as Documents).
    """
    by_resource: dict[str, tuple[JobReference, list[str]]] = {}
    for reference in references:
        if reference.kind != "reference" or reference.resource_id is None:
            continue
        first = by_resource.setdefault(reference.resource_id, (reference, []))
        if reference.output_key not in first[1]:
            first[1].append(reference.output_key)
    return list(by_resource.values())


def _cited(output: Output) -> Iterator[tuple[Literal["reference", "artifact"], str, str | None]]:
    if not any(marker in output.value for marker in _MARKERS):
        return  # nothing here can cite: skip parsing (the result tool asks on every call)
    parsed = _json(output.value) if is_json_type(output.data_type) else None
    if parsed is None:
        yield from _in_text(output.value)
        return
    stack: list[Any] = [parsed]
    visited = 0
    while stack and visited < MAX_REFERENCE_SCAN_NODES:
        node = stack.pop()
        visited += 1
        if isinstance(node, str):
            yield from _in_text(node)
        elif isinstance(node, dict):
            named = node.get("resource_id")
            if isinstance(named, str) and named:
                url = node.get("url")
                yield "reference", url if isinstance(url, str) and url else named, named
                continue
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _in_text(text: str) -> Iterator[tuple[Literal["reference", "artifact"], str, str | None]]:
    if "/references/" in text:
        for url, resource_id in _reference_urls(text):
            yield "reference", url, resource_id
    if "agent-job-" in text:
        for match in ARTIFACT_KEY.finditer(text):
            yield "artifact", match.group(0).rstrip(".,;:)]}"), None


def _reference_urls(text: str) -> Iterator[tuple[str, str]]:
    """The reference URLs in `text` and their resource ids, left to right, in linear time.

    The same URLs a left-to-right search for scheme, shortest host and `_PATH` finds, found from
    the path: a path is cited when the first scheme at or after both the end of the last URL found
    and the last stop character before the path ends before the path (leaving a host of at least one
    character). Path, scheme and stop searches each only move forward, so each character is read a
    bounded number of times.
    """
    end = 0  # where the last URL found ends: the next one starts at or after it
    scheme: re.Match[str] | None = None  # the first scheme at or after `end` and the last stop
    scanned, stop = 0, -1  # text[:scanned] is searched for stops; the last of them is at `stop`
    path = _PATH.search(text)
    while path is not None:
        at = path.start()
        if scanned < at:
            last = _LAST_STOP.match(text, scanned, at)
            if last is not None:
                stop = last.end() - 1
            scanned = at
        start = max(end, stop + 1)
        if scheme is None or scheme.start() < start:
            scheme = _SCHEME.search(text, start)
            if scheme is None:
                return  # no scheme from here on: no later path is a URL
        if scheme.end() < at:
            yield text[scheme.start() : path.end()], path["resource_id"]
            end = path.end()
            path = _PATH.search(text, end)
        else:
            path = _PATH.search(text, at + 1)


def _json(value: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None


def is_text_like(media_type: str | None) -> bool:
    """Whether a reference of this type is text a Document holds as it is (text, JSON, markup)."""
    if media_type is None:
        return False
    media_type = media_type.split(";", 1)[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type in TEXT_LIKE_MEDIA_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def reference_documents(
    blob: Blob,
    reference: JobReference,
    shared: Metadata,
    parser: BaseBlobParser | None,
    cited_by: Sequence[str] = (),
) -> list[Document] | None:
    """A fetched reference as Documents: its text as given, or what `parser` makes of it.

    None when it is neither text-like nor parseable (no parser): the caller skips it. Metadata is
    flat: the job, the first citing output's `key` and `output_index`, and when several outputs
    cite it `cited_by`, their keys in output order as compact JSON (`'["summary","evidence"]'`,
    as the loaders flatten any value that is not a string), `resource_id`,
    `data_type` (as the server sent it), `source` (the reference URL) and `reference: True`; ids
    are stable per job and resource (`"<job>/references/<resource id>"`, with `#<n>` for a parser's
    n-th Document past the first), so a file is one Document per job however many outputs cite it.
    """
    media_type, _ = split_content_type(str(blob.metadata.get("content_type") or "") or None)
    media_type = media_type or blob.mimetype
    metadata: Metadata = {
        **shared,
        "source": str(blob.source),
        "key": reference.output_key,
        "output_index": reference.output_index,
        "resource_id": str(reference.resource_id),
        "data_type": str(blob.metadata.get("content_type") or media_type or ""),
        "reference": True,
    }
    if len(cited_by) > 1:
        metadata["cited_by"] = json.dumps(list(cited_by), separators=(",", ":"), ensure_ascii=False)
    base = f"{shared['agent_job_id']}/references/{reference.resource_id}"
    if parser is None or is_text_like(media_type):
        if not is_text_like(media_type):
            return None
        text = blob.as_bytes().decode(blob.encoding or "utf-8", errors="replace")
        return [
            Document(id=str(uuid.uuid5(_NAMESPACE, base)), page_content=text, metadata=metadata)
        ]
    documents = []
    for n, parsed in enumerate(parser.lazy_parse(blob)):
        flat = {k: v for k, v in parsed.metadata.items() if isinstance(v, str | int | float | bool)}
        name = base if n == 0 else f"{base}#{n}"
        documents.append(
            Document(
                id=str(uuid.uuid5(_NAMESPACE, name)),
                page_content=parsed.page_content,
                metadata={**flat, **metadata},
            )
        )
    return documents
