"""Agents and runs as `Call`s and flows: read an agent's version, list agents, start jobs.

Starting a job costs the user credits, so each run call carries its retry rule: a single run is
sent with an `Idempotency-Key` kept across its attempts (`Retry.KEYED`; a 409 "still being
processed" is retried under it too). Every request that can start a job carries a key: the
many-inputs requests carry one per chunk as well, but whether that endpoint honours it is not
documented, so they are retried only where the server provably did not act (`Retry.UNSENT`), and
a chunk whose outcome is unknown is a `RunOutcomeUnknownError` naming its inputs. Any error after
a chunk created jobs carries their ids (`created_job_ids`), whatever its class.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Mapping, Sequence
from typing import Any, TypedDict, Unpack

from langchain_roe._core._constants import (
    AGENT_VERSION_PATH,
    AGENTS_PATH,
    CURRENT_VERSION,
    DEFAULT_MAX_UPLOAD_BYTES,
    IDEMPOTENCY_KEY_HEADER,
    INPUTS_FIELD,
    MAX_INPUTS_PER_REQUEST,
    PAGE_SIZE_PARAM,
    RUN_MANY_PATH,
    RUN_PATH,
    RUN_VERSION_PATH,
    SKIP_CACHE_HEADER,
)
from langchain_roe._core._exceptions import (
    InvalidResponseError,
    RoeError,
    RunOutcomeUnknownError,
    is_setup_error,
    refused,
)
from langchain_roe._core._formats import canonical_job_id, canonical_uuid
from langchain_roe._core._http import Call, Retry, decoder
from langchain_roe._core._inputs import encode_inputs, text_inputs
from langchain_roe._core._models import Agent, AgentVersion, Page
from langchain_roe._core._retry import is_retryable


def version_call(agent_id: str, version_id: str | None) -> Call[AgentVersion]:
    """`GET /v1/agents/{agent_id}/versions/current/` (or `.../{version_id}/`)."""
    agent_id = canonical_uuid(agent_id, "agent_id")
    version = CURRENT_VERSION if version_id is None else canonical_uuid(version_id, "version_id")
    path = AGENT_VERSION_PATH.format(agent_id=agent_id, version=version)
    return Call("GET", path, decoder(AgentVersion))


def agents_call(page_size: int | None) -> Call[Page[Agent]]:
    """`GET /v1/agents/` (its first page: a `Pager` follows the rest)."""
    params = {PAGE_SIZE_PARAM: str(page_size)} if page_size else None
    return Call("GET", AGENTS_PATH, decoder(Page[Agent]), params=params)


class RunArguments(TypedDict, total=False):
    """How one run is started, as `RoeClient.run_agent` and `run_call` take it."""

    version_id: str | None
    """Run this version instead of the agent's current one."""
    metadata: Mapping[str, Any] | None
    """Metadata stored on the job."""
    idempotency_key: str | None
    """The run's `Idempotency-Key`; one is made for the call when None."""
    skip_cache: bool
    """Ask the server not to answer from its cache of earlier runs on the same inputs."""


def run_call(
    agent_id: str,
    inputs: Mapping[str, Any],
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    **options: Unpack[RunArguments],
) -> Call[str]:
    """`POST /v1/agents/run/{agent_id}/async/` (or the version's): one job, retried under its key.

    `max_upload_bytes` is the client's setting of that name: a larger file is refused here.

    Raises:
        ValueError: A bad id, input or key; before any request.
        TypeError: An option `RunArguments` does not have.
    """
    unknown = sorted(set(options) - RunArguments.__optional_keys__)
    if unknown:
        msg = f"a run takes no option {', '.join(unknown)}"
        raise TypeError(msg)
    version_id, idempotency_key = options.get("version_id"), options.get("idempotency_key")
    agent_id = canonical_uuid(agent_id, "agent_id")
    if version_id is None:
        path = RUN_PATH.format(agent_id=agent_id)
    else:
        version = canonical_uuid(version_id, "version_id")
        path = RUN_VERSION_PATH.format(agent_id=agent_id, version_id=version)
    key = _checked_key(idempotency_key)
    body, form, files = encode_inputs(
        inputs, options.get("metadata"), max_upload_bytes=max_upload_bytes
    )
    return Call(
        "POST",
        path,
        decoder(str),
        body=body,
        form=form,
        files=files,
        headers=_headers(options.get("skip_cache", False), {IDEMPOTENCY_KEY_HEADER: key}),
        retry=Retry.KEYED,
    )


def run_many_calls(
    agent_id: str,
    inputs_list: Sequence[Mapping[str, Any]],
    *,
    skip_cache: bool = False,
    idempotency_key: str | None = None,
    first_position: int = 0,
) -> list[tuple[range, Call[list[str]]]]:
    """`POST /v1/agents/run/{agent_id}/async/many/` for every chunk of at most 1000 inputs.

    All inputs are checked before any call is made. Each chunk's `Idempotency-Key` is
    `<idempotency_key>-<first>-<last>` (its input positions, from `first_position`); one is made
    when `idempotency_key` is None.

    Raises:
        ValueError: A bad id or key, an empty list, or an input that is not one text per key.
    """
    run_key = _checked_key(idempotency_key)
    agent_id = canonical_uuid(agent_id, "agent_id")
    if isinstance(inputs_list, Mapping | str) or not inputs_list:
        msg = "inputs_list must be a non-empty sequence of input mappings"
        raise ValueError(msg)
    texts = [text_inputs(inputs, position) for position, inputs in enumerate(inputs_list)]
    path = RUN_MANY_PATH.format(agent_id=agent_id)
    calls = []
    for start in range(0, len(texts), MAX_INPUTS_PER_REQUEST):
        positions = range(start, min(start + MAX_INPUTS_PER_REQUEST, len(texts)))
        body = {INPUTS_FIELD: texts[positions.start : positions.stop]}
        first, last = first_position + positions.start, first_position + positions.stop - 1
        key = {IDEMPOTENCY_KEY_HEADER: f"{run_key}-{first}-{last}"}
        call = Call(
            "POST",
            path,
            decoder(list[str]),
            body=body,
            headers=_headers(skip_cache, key),
            retry=Retry.UNSENT,
        )
        calls.append((positions, call))
    return calls


def run_flow(call: Call[str]) -> Generator[Call[Any], Any, str]:
    """Start one job; its answer is the job id."""
    answer: str = yield call
    try:
        return canonical_job_id(answer)
    except ValueError:
        msg = f"the answer to {call.describe()} is not a job id: {answer[:80]!r}"
        raise InvalidResponseError(msg) from None


def run_many_flow(
    chunks: Sequence[tuple[range, Call[list[str]]]],
) -> Generator[Call[Any], Any, list[str]]:
    """Start the chunks in order; the job ids come back in input order.

    A refusal (4xx) is raised as it is; any other failure leaves the chunk's outcome unknown and is
    a `RunOutcomeUnknownError` naming its inputs. Either carries the jobs the earlier chunks
    created (`created_job_ids`), so a caller who starts the rest again can leave those out.
    """
    created: dict[int, str] = {}
    for positions, call in chunks:
        try:
            answer: list[str] = yield call
            ids = [canonical_job_id(i) for i in answer]
            if len(ids) != len(positions):
                msg = f"{len(ids)} job ids for {len(positions)} inputs"
                raise InvalidResponseError(msg)
        except RoeError as error:
            if is_setup_error(error) or refused(error, retryable=is_retryable(error, Retry.UNSENT)):
                _note_created_jobs(error, created)
                raise
            raise _unknown(positions, created, error) from error
        except ValueError as error:
            raise _unknown(positions, created, InvalidResponseError(str(error))) from error
        created.update(zip(positions, ids, strict=True))
    return [created[position] for position in range(len(created))]


def _note_created_jobs(error: RoeError, created: Mapping[int, str]) -> None:
    """Make `error` carry the jobs already created (`created_job_ids`), and say so."""
    if created and not error.created_job_ids:
        error.created_job_ids = dict(created)
        error.message += (
            f" ({len(created)} job(s) had already been started for earlier inputs: their ids "
            "are in the error's created_job_ids; do not start those inputs again)"
        )
        error.args = (error.message,)


def _checked_key(idempotency_key: str | None) -> str:
    key = str(uuid.uuid4()) if idempotency_key is None else idempotency_key
    if not isinstance(key, str) or not key.strip() or not key.isascii() or not key.isprintable():
        msg = f"idempotency_key must be a non-empty printable ASCII string, got {idempotency_key!r}"
        raise ValueError(msg)
    return key


def _headers(skip_cache: bool, headers: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(headers or {})
    if skip_cache:
        headers[SKIP_CACHE_HEADER] = "true"
    return headers


def _unknown(positions: range, created: dict[int, str], error: RoeError) -> RunOutcomeUnknownError:
    msg = (
        f"starting inputs {positions.start} to {positions.stop - 1} failed after the request may "
        f"have reached the server ({error.message}); whether those jobs exist is unknown, so the "
        "request was not repeated (that could start them twice). Check the agent's jobs before "
        "running those inputs again"
    )
    return RunOutcomeUnknownError(
        msg,
        input_indexes=positions,
        created_job_ids=dict(created),
        status_code=error.status_code,
        request_id=error.request_id,
    )
