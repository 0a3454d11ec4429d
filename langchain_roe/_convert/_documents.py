"""From a finished job to Documents, and an output's value to readable text: each written once."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Protocol

import orjson
from langchain_core.documents import Document

from langchain_roe._core._models import (
    AgentJobResult,
    AgentJobResultItem,
    AgentJobStatusCode,
    AgentJobSummary,
    status_code,
)
from langchain_roe._core._wire_fast import WireResultItem

# Document ids are uuid5 of "<agent_job_id>/<output_index>" in this namespace (a reference's, of
# "<agent_job_id>/references/<resource_id>"); a listed job's own metadata is flattened into
# `job_metadata_<key>`.
DOCUMENT_ID_NAMESPACE: Final = "6b1f2c3e-7d0a-5e4b-9c8d-1a2b3c4d5e6f"
JOB_METADATA_PREFIX: Final = "job_metadata_"


#: sha1 of the namespace's bytes, copied for each id instead of hashing the namespace again.
_NAMESPACE_HASH = hashlib.sha1(uuid.UUID(DOCUMENT_ID_NAMESPACE).bytes, usedforsecurity=False)

Metadata = dict[str, str | int | float | bool]


class Output(Protocol):
    """An output as Documents and text are made from it: an `AgentDatum`, or its fast twin."""

    @property
    def key(self) -> str: ...
    @property
    def data_type(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def cost(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class FinishedJob:
    """A succeeded job's outputs and what is known about it, whichever endpoint it came from."""

    agent_job_id: str
    outputs: Sequence[Output]
    agent_id: str | None = None
    agent_version_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    status: AgentJobStatusCode | None = None
    """Known on the batch path; the single-result endpoint does not say."""
    corrected: bool = False
    """Whether `outputs` are a human reviewer's corrections."""
    input_index: int | None = None
    """The position of the inputs that started the job, when a run loader started it."""
    listing: Metadata | None = None
    """What the agent's job listing said of the job (`listing_metadata`), when it was found there."""

    @classmethod
    def from_result(cls, agent_job_id: str, result: AgentJobResult) -> FinishedJob:
        """From the single-result endpoint's answer."""
        return cls(
            agent_job_id,
            result.outputs,
            result.agent_id,
            result.agent_version_id,
            result.input_tokens,
            result.output_tokens,
        )

    @classmethod
    def from_item(
        cls,
        agent_job_id: str,
        item: AgentJobResultItem | WireResultItem,
        *,
        prefer_corrected: bool = False,
    ) -> FinishedJob:
        """From a succeeded item of the batch endpoint's answer (public model or fast twin)."""
        corrected = bool(prefer_corrected and item.corrected_outputs)
        if corrected:
            outputs: Sequence[Output] = item.corrected_outputs or ()
        else:
            outputs = item.result if isinstance(item.result, list | tuple) else ()
        return cls(
            agent_job_id,
            outputs,
            item.agent_id,
            item.agent_version_id,
            item.input_tokens,
            item.output_tokens,
            status_code(item.status),
            corrected,
        )


def listing_metadata(job: AgentJobSummary) -> Metadata:
    """What a listed job adds to its Documents' metadata, flat and without None.

    `created_at` (ISO 8601), `agent_version_name`, and each of the job's own metadata entries as
    `job_metadata_<key>`: a string as it is, any other value as compact JSON.
    """
    metadata: Metadata = {}
    if job.created_at is not None:
        metadata["created_at"] = job.created_at.isoformat()
    if job.agent_version_name is not None:
        metadata["agent_version_name"] = job.agent_version_name
    for key, value in (job.metadata or {}).items():
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        metadata[JOB_METADATA_PREFIX + key] = text
    return metadata


def check_output_keys(output_keys: str | Iterable[str] | None) -> frozenset[str] | None:
    """The output keys asked for, or None for every output.

    Raises:
        ValueError: An empty list (ask for nothing by leaving the option out), or a key that is
            not a non-empty string. The loader and the tool agree on this.
    """
    if output_keys is None:
        return None
    keys = [output_keys] if isinstance(output_keys, str) else list(output_keys)
    if not keys:
        msg = "output_keys is empty: leave it out to get every output, or name at least one key"
        raise ValueError(msg)
    if not all(isinstance(key, str) and key for key in keys):
        msg = f"output_keys must be non-empty strings, got {output_keys!r}"
        raise ValueError(msg)
    return frozenset(keys)


@lru_cache(maxsize=256)
def is_json_type(data_type: str) -> bool:
    """Whether a MIME type is JSON: `application/json` or any `+json` type, parameters ignored."""
    media_type = data_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def readable_value(output: Output) -> str:
    """The text a reader sees for an output.

    JSON is decoded and laid out again (indented, key order and non-ASCII kept); a value that is not
    JSON, does not decode, or nests too deep to lay out, is given exactly as it came.
    """
    value = output.value
    if not is_json_type(output.data_type):
        return value
    try:
        text = orjson.dumps(orjson.loads(value), option=orjson.OPT_INDENT_2)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        pass  # not JSON, or JSON only the standard library reads (NaN): let it decide
    else:
        # orjson reads integers past 64 bits as floats, which it writes with an exponent (always
        # "e+", lower case): where one may be, the standard library lays the value out instead.
        if b"e+" not in text:
            return text.decode()
    try:
        return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        return value


def document_id(agent_job_id: str, output_index: int) -> str:
    """A Document id that is the same on every load and distinct for every output of every job.

    It is `uuid.uuid5(DOCUMENT_ID_NAMESPACE, "<agent_job_id>/<output_index>")`, computed without
    building UUID objects (a third of the conversion's time otherwise).
    """
    return _output_id(_job_hash(agent_job_id), output_index)


def _job_hash(agent_job_id: str) -> hashlib._Hash:
    """The uuid5 hash state after the namespace and `<agent_job_id>/`, shared by a job's outputs."""
    hashed = _NAMESPACE_HASH.copy()
    hashed.update(agent_job_id.encode() + b"/")
    return hashed


def _output_id(job_hash: hashlib._Hash, output_index: int) -> str:
    hashed = job_hash.copy()
    hashed.update(b"%d" % output_index)
    x = hashed.hexdigest()
    # The first 16 bytes, with the version nibble set to 5 and the variant bits to RFC 4122.
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


#: A hex digit with its top two bits set to 10 (the RFC 4122 variant).
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def job_documents(
    job: FinishedJob, *, source: str, output_keys: Collection[str] | None = None
) -> list[Document]:
    """One Document per output of `job` (only `output_keys`, when given), in output order.

    Metadata holds flat JSON primitives and no `None`: `source`, `agent_job_id`, `agent_id`,
    `agent_version_id`, `key`, `description` (when not empty), `data_type`, `cost` (when given),
    `output_index`, `input_tokens` and `output_tokens` (when given), `status` (when known),
    `corrected` (when the outputs are a reviewer's), `input_index` (for a job a run loader
    started) and, for a job found by listing its agent's jobs, `listing_metadata`'s fields. The
    job's inputs are left out.
    """
    shared: Metadata = {"source": source, "agent_job_id": job.agent_job_id}
    if job.agent_id is not None:
        shared["agent_id"] = job.agent_id
    if job.agent_version_id is not None:
        shared["agent_version_id"] = job.agent_version_id
    if job.input_tokens is not None:
        shared["input_tokens"] = job.input_tokens
    if job.output_tokens is not None:
        shared["output_tokens"] = job.output_tokens
    if job.status is not None:
        shared["status"] = job.status.name
    if job.corrected:
        shared["corrected"] = True
    if job.input_index is not None:
        shared["input_index"] = job.input_index
    if job.listing:
        shared.update(job.listing)
    documents = []
    job_hash = _job_hash(job.agent_job_id)
    for index, output in enumerate(job.outputs):
        key = output.key
        if output_keys is not None and key not in output_keys:
            continue
        metadata = shared.copy()
        metadata["key"] = key
        metadata["data_type"] = output.data_type
        if output.description:
            metadata["description"] = output.description
        if output.cost is not None:
            metadata["cost"] = output.cost
        metadata["output_index"] = index
        documents.append(
            new_document(_output_id(job_hash, index), readable_value(output), metadata)
        )
    return documents


#: A validated Document: what the others are built like (`new_document`), and its `type`.
_TEMPLATE: Final = Document(id="", page_content="", metadata={})
_TYPE: Final = _TEMPLATE.type
_new = object.__new__
_set = object.__setattr__


def new_document(document_id: str, page_content: str, metadata: Metadata) -> Document:
    """`Document(id=document_id, page_content=page_content, metadata=metadata)`, unvalidated.

    The values are already what validation would keep (strings, and a fresh dict of flat JSON
    primitives), so the Document is set up as pydantic sets up a validated one: its `__dict__` in
    the order validation gives, the fields set, no extra and no private values. That costs about
    1.1 us against 2.7 us for `Document(...)` or a `model_copy` of a template, a tenth of the bulk
    path's time. `tests/unit_tests/test_new_document.py` compares it with `Document(...)` on
    every fixture (attribute by attribute, dumped and pickled) and fails if `Document` gains a
    validator, a field or a post-init step.
    """
    document = _new(Document)
    _set(
        document,
        "__dict__",
        {"id": document_id, "metadata": metadata, "page_content": page_content, "type": _TYPE},
    )
    _set(document, "__pydantic_fields_set__", {"id", "metadata", "page_content"})
    _set(document, "__pydantic_extra__", None)
    _set(document, "__pydantic_private__", None)
    return document
