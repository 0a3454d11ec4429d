"""What a model reads: a job result as text within a budget, and errors as advice it can act on."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from langchain_roe._convert._documents import FinishedJob, Output, readable_value
from langchain_roe._core._constants import EXAMPLE_AGENT_JOB_ID
from langchain_roe._core._exceptions import (
    APIConnectionError,
    APIStatusError,
    InvalidAgentJobIdError,
    InvalidResponseError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RateLimitError,
    RoeError,
    ServerError,
)
from langchain_roe._core._models import AgentJobResult


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
    chosen = [o for o in job.outputs if output_keys is None or o.key in output_keys]
    sections = [_output_section(output) for output in chosen]
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


def result_artifact(agent_job_id: str, result: AgentJobResult) -> dict[str, Any]:
    """The whole result as plain JSON-serialisable data, with the job id."""
    return {"agent_job_id": agent_job_id, **result.model_dump(mode="json")}


def _output_section(output: Output) -> str:
    lines = [f"## {output.key}"]
    if output.description:
        lines.append(f"description: {output.description}")
    lines.append(f"data type: {output.data_type}")
    if output.cost is not None:
        lines.append(f"cost: {output.cost:g}")
    lines.append("value:")
    lines.append(readable_value(output))
    return "\n".join(lines)


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
