"""What a model reads: a job result as text within a budget, and errors as advice it can act on."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from typing import Any, Final

from langchain_core.documents.base import Blob

from langchain_roe._convert._documents import FinishedJob, Output, readable_value
from langchain_roe._convert._references import JobReference, find_references, is_text_like
from langchain_roe._core._exceptions import (
    APIConnectionError,
    APIStatusError,
    InvalidAgentJobIdError,
    InvalidReferenceError,
    InvalidResponseError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RateLimitError,
    ResponseTooLargeError,
    RoeError,
    ServerError,
)
from langchain_roe._core._models import AgentJobResult

# The tools' names, as the text a model reads refers to them, and how much text it is given at most.
TOOL_NAME: Final = "roe_get_agent_job_result"
REFERENCE_TOOL_NAME: Final = "roe_read_agent_job_reference"
CANCEL_TOOL_NAME: Final = "roe_cancel_agent_job"
EXAMPLE_AGENT_JOB_ID: Final = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
DEFAULT_MAX_OUTPUT_CHARS: Final = 20_000


def result_text(
    job: FinishedJob,
    *,
    output_keys: Collection[str] | None = None,
    max_chars: int,
) -> str:
    """A job's outputs as text for a model, at most `max_chars` long.

    One section per output (key, description, data type, cost, value with JSON laid out readably),
    then a line of totals. When the whole does not fit, the sections are cut and a marker says how
    many characters were left out; the totals line always stays.
    """
    cites = find_references(job.outputs)
    sections = [
        _output_section(output, [c for c in cites if c.output_index == index])
        for index, output in enumerate(job.outputs)
        if output_keys is None or output.key in output_keys
    ]
    chosen = [o for o in job.outputs if output_keys is None or o.key in output_keys]
    if output_keys is not None:
        missing = sorted(set(output_keys).difference(o.key for o in job.outputs))
        if missing:
            available = ", ".join(sorted({o.key for o in job.outputs})) or "none"
            sections.append(f"No output with key(s) {', '.join(missing)}; available: {available}.")
    header = f"Roe agent job {job.agent_job_id}: outputs\n\n"
    body = "\n\n".join(sections) if sections else "The job finished with no outputs."
    footer = "\n\n" + _totals(job, len(chosen))
    text = header + body + footer
    if len(text) <= max_chars:
        return text
    room = max_chars - len(header) - len(footer) - len(_cut_marker(len(body), max_chars))
    kept = body[: max(room, 0)]
    return header + kept + _cut_marker(len(body) - len(kept), max_chars) + footer


def error_text(error: BaseException, agent_job_id: object) -> str:
    """What a model should read about a failed call: what happened and what to do next."""
    if isinstance(error, JobNotFinishedError):
        return (
            f"Roe agent job {agent_job_id} is still running ({error.status.name}); its outputs are "
            "not ready yet. Call this tool again later with the same id."
        )
    if isinstance(error, JobFailedError):
        reason = error.error_message or "the server gave no error message"
        return (
            f"Roe agent job {agent_job_id} ended in {error.status.name} and has no outputs: "
            f"{reason}. Calling again will not change that."
        )
    if isinstance(error, NotFoundError):
        return (
            f"No Roe agent job with id {agent_job_id} is visible to this API key; check the id "
            "(it may be mistyped or belong to another organization)."
        )
    if isinstance(error, RateLimitError):
        wait = f" about {error.retry_after:.0f}s" if error.retry_after else ""
        return f"The Roe API is rate limiting requests; wait{wait} before calling this tool again."
    if isinstance(error, ServerError | APIConnectionError | InvalidResponseError):
        return (
            f"The Roe API failed to answer for job {agent_job_id} after several attempts "
            f"({error.message}). Try again later."
        )
    if isinstance(error, APIStatusError):
        return f"The Roe API refused the request for job {agent_job_id}: {error.message}."
    if isinstance(error, InvalidAgentJobIdError):
        return (
            f"{agent_job_id!r} is not a Roe agent job id: ids are UUIDs such as "
            f"{EXAMPLE_AGENT_JOB_ID}. Use the exact id you were given."
        )
    message = error.message if isinstance(error, RoeError) else str(error)
    return f"Reading Roe agent job {agent_job_id} failed: {message}."


def reference_text(agent_job_id: str, blob: Blob, *, max_chars: int) -> str:
    """A fetched reference as a model reads it, within `max_chars`.

    Its text; or, for a file that is not text, what it is (type and size) instead of its bytes.
    """
    content_type = str(blob.metadata.get("content_type") or blob.mimetype or "unknown type")
    size = len(blob.as_bytes())
    name = blob.metadata.get("resource_id")
    if not is_text_like(blob.mimetype):
        return file_text(agent_job_id, str(name), content_type, size)
    header = f"Roe agent job {agent_job_id}, reference {name} ({content_type}, {size:,} bytes):\n\n"
    text = blob.as_bytes().decode(blob.encoding or "utf-8", errors="replace")
    return header + _within(text, max_chars - len(header))


#: The image types a model is shown as an image block (those the major providers take).
IMAGE_BLOCK_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def image_blocks(agent_job_id: str, blob: Blob, content: bytes) -> list[dict[str, Any]]:
    """An image reference as a model sees it: a text block saying what it is, then the image.

    LangChain's standard blocks (`{"type": "text"}`, `{"type": "image", "base64", "mime_type"}`),
    which each chat model turns into its provider's own form.
    """
    name = blob.metadata.get("resource_id")
    what = (
        f"Roe agent job {agent_job_id}, reference {name}: a {blob.mimetype} image of "
        f"{len(content):,} bytes, shown below."
    )
    image = base64.b64encode(content).decode("ascii")
    return [
        {"type": "text", "text": what},
        {"type": "image", "base64": image, "mime_type": blob.mimetype},
    ]


def file_text(agent_job_id: str, name: str, content_type: str | None, size: int | None) -> str:
    """What a model reads of a reference that is not text: what it is, never its bytes."""
    what = content_type or "file of unknown type"
    bytes_ = f"{size:,} bytes" if size is not None else "unknown size"
    return (
        f"Roe agent job {agent_job_id}, reference {name}: a {what} file of {bytes_}, not text, "
        "so its content is not shown here."
    )


def artifact_text(agent_job_id: str, artifact_key: str, result: Any, *, max_chars: int) -> str:
    """An artifact's result as a model reads it: JSON laid out, within `max_chars`."""
    header = f"Roe agent job {agent_job_id}, artifact {artifact_key}:\n\n"
    try:
        text = json.dumps(result, indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = str(result)
    return header + _within(text, max_chars - len(header))


def reference_error_text(error: BaseException, agent_job_id: object, reference: str) -> str:
    """What a model should read when a reference or artifact cannot be read."""
    if isinstance(error, InvalidReferenceError):
        return (
            f"{reference!r:.200} cannot be read for job {agent_job_id}: {error.message}. Use a "
            "reference URL, resource id or artifact key exactly as the job's output shows it."
        )
    if isinstance(error, NotFoundError):
        return (
            f"Roe agent job {agent_job_id} has no reference or artifact {reference!r:.200} visible "
            "to this API key; use a value exactly as the job's output shows it."
        )
    if isinstance(error, ResponseTooLargeError):
        return f"The reference {reference!r:.200} of job {agent_job_id} is too large to read: {error.message}."
    return error_text(error, agent_job_id)


def _within(text: str, room: int) -> str:
    """`text`, cut to `room` characters with a marker saying how many were left out."""
    if len(text) <= room:
        return text
    marker = "\n\n[... {:,} characters left out to stay within the budget ...]"
    keep = max(room - len(marker.format(len(text))), 0)  # the count shown is never longer
    return text[:keep] + marker.format(len(text) - keep)


def result_artifact(agent_job_id: str, result: AgentJobResult) -> dict[str, Any]:
    """The whole result as plain JSON-serialisable data, with the job id."""
    return {"agent_job_id": agent_job_id, **result.model_dump(mode="json")}


def _output_section(output: Output, cites: list[JobReference]) -> str:
    lines = [f"## {output.key}"]
    if output.description:
        lines.append(f"description: {output.description}")
    lines.append(f"data type: {output.data_type}")
    if output.cost is not None:
        lines.append(f"cost: {output.cost:g}")
    if cites:
        lines.append(_cites_line(cites))
    lines.append("value:")
    lines.append(readable_value(output))
    return "\n".join(lines)


def _cites_line(cites: list[JobReference]) -> str:
    """How much evidence an output cites, counted (the ids are in its value), and how to read it."""
    references = [c for c in cites if c.kind == "reference"]
    artifacts = len(cites) - len(references)
    parts = []
    if references:
        kinds = sorted(
            {(c.resource_id or "").rsplit(".", 1)[-1].lower() for c in references} - {""}
        )
        named = f" ({', '.join(kinds)})" if kinds and all(len(k) <= 5 for k in kinds) else ""
        parts.append(f"{len(references)} reference{'s' if len(references) != 1 else ''}{named}")
    if artifacts:
        parts.append(f"{artifacts} artifact{'s' if artifacts != 1 else ''}")
    return (
        f"cites: {' and '.join(parts)}; read one with {REFERENCE_TOOL_NAME} "
        "(its URL, resource id or artifact key as the value shows it)"
    )


def _totals(job: FinishedJob, shown: int) -> str:
    count = len(job.outputs)
    parts = [f"{shown} of {count} output{'s' if count != 1 else ''} shown"]
    if job.input_tokens is not None:
        parts.append(f"{job.input_tokens} input tokens")
    if job.output_tokens is not None:
        parts.append(f"{job.output_tokens} output tokens")
    return "Totals: " + ", ".join(parts) + "."


def _cut_marker(left_out: int, max_chars: int) -> str:
    return (
        f"\n\n[... {left_out:,} characters left out to stay within {max_chars:,}; ask for fewer "
        "outputs with output_keys to see the rest ...]"
    )
