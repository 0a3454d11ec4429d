"""The four job endpoints as `Call`s, and how batch answers are matched back to the ids asked for."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import Field, TypeAdapter, ValidationError

from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import (
    JOB_IDS_FIELD,
    MAX_IDS_PER_REQUEST,
    RESULT_PATH,
    RESULTS_PATH,
    STATUS_PATH,
    STATUSES_PATH,
)
from langchain_roe._core._exceptions import (
    InvalidResponseError,
    NotFoundError,
    RoeError,
    ServerError,
    explain_result_error,
)
from langchain_roe._core._formats import canonical_job_id, next_page_problem
from langchain_roe._core._http import Call, Decode, adapter_decoder, decoder, job_path, summarise
from langchain_roe._core._models import (
    AgentJobResult,
    AgentJobResultItem,
    AgentJobStatus,
    AgentJobStatusItem,
    Page,
)
from langchain_roe._core._wire_fast import LoaderBatch, WireResultItem, decode_batch, read_item

T = TypeVar("T")
ItemT = TypeVar("ItemT", AgentJobResultItem, AgentJobStatusItem, WireResultItem)

#: A batch answer as read off the wire: a bare array, or the paginated object older deployments
#: send. Its items stay unchecked JSON until `match_by_id` reads each one on its own, so one bad
#: item fails its own job, not the whole chunk.
BatchAnswer = list[Any] | Page[Any]

_BATCH: Decode[BatchAnswer] = adapter_decoder(
    TypeAdapter(Annotated[BatchAnswer, Field(union_mode="left_to_right")])
)
#: How each item of a batch answer is read on the public path: by the public model.
read_result_item = TypeAdapter(AgentJobResultItem).validate_python
read_status_item = TypeAdapter(AgentJobStatusItem).validate_python


def result_call(agent_job_id: str) -> Call[AgentJobResult]:
    """`GET /v1/agents/jobs/{agent_job_id}/result/` for a canonical id."""
    return _job_get(RESULT_PATH, agent_job_id, AgentJobResult)


def status_call(agent_job_id: str) -> Call[AgentJobStatus]:
    """`GET /v1/agents/jobs/{agent_job_id}/status/` for a canonical id."""
    return _job_get(STATUS_PATH, agent_job_id, AgentJobStatus)


def _job_get(template: str, agent_job_id: str, kind: type[T]) -> Call[T]:
    path = job_path(template, agent_job_id)
    return Call("GET", path, decoder(kind), agent_job_id=agent_job_id)


def results_call(agent_job_ids: Sequence[str], url: str | None = None) -> Call[BatchAnswer]:
    """`POST /v1/agents/jobs/results/` for up to `MAX_IDS_PER_REQUEST` canonical ids."""
    return Call("POST", RESULTS_PATH, _BATCH, body={JOB_IDS_FIELD: list(agent_job_ids)}, url=url)


def loader_results_call(agent_job_ids: Sequence[str], url: str | None = None) -> Call[LoaderBatch]:
    """`results_call` decoded for the loader: fast when the answer is well formed."""
    body = {JOB_IDS_FIELD: list(agent_job_ids)}
    return Call("POST", RESULTS_PATH, decode_batch, body=body, url=url)


def statuses_call(agent_job_ids: Sequence[str], url: str | None = None) -> Call[BatchAnswer]:
    """`POST /v1/agents/jobs/statuses/` for up to `MAX_IDS_PER_REQUEST` canonical ids."""
    return Call("POST", STATUSES_PATH, _BATCH, body={JOB_IDS_FIELD: list(agent_job_ids)}, url=url)


def chunked(agent_job_ids: Sequence[str], size: int = MAX_IDS_PER_REQUEST) -> Iterator[list[str]]:
    """Split ids into request-sized chunks, in order."""
    for start in range(0, len(agent_job_ids), size):
        yield list(agent_job_ids[start : start + size])


def page_items(
    answer: BatchAnswer | LoaderBatch, settings: RoeSettings, call: Call[Any]
) -> tuple[list[Any], str | None]:
    """A batch answer's items and the next page's URL, if the answer is paginated and has one.

    Raises:
        InvalidResponseError: The next-page link leads away from the configured API host, where the
            key must not be sent.
    """
    if isinstance(answer, list):
        return answer, None
    if answer.next is None:
        return answer.results, None
    wrong = next_page_problem(settings.base_url, answer.next)
    if wrong is not None:
        raise InvalidResponseError(f"the answer to {call.describe()} {wrong}")
    return answer.results, answer.next


def match_by_id(
    agent_job_ids: Sequence[str], items: Sequence[Any], read: Callable[[Any], ItemT]
) -> dict[str, ItemT | RoeError]:
    """Read each item on its own and pair each requested id with it.

    An item that does not match the spec fails its own job (`InvalidResponseError`). An id the
    answer left out is a `NotFoundError`, unless some item was unreadable without even an id to
    name: then any of the missing ids may be that item, and they get an `InvalidResponseError`.
    """
    by_id: dict[str, ItemT | RoeError] = {}
    nameless: list[str] = []
    for raw in items:
        try:
            item = read(raw)
        except ValidationError as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            agent_job_id = _as_job_id(raw_id)
            if agent_job_id is None:
                nameless.append(summarise(exc))
            else:
                by_id.setdefault(agent_job_id, _unreadable(agent_job_id, summarise(exc)))
            continue
        agent_job_id = _as_job_id(item.id)
        if agent_job_id is not None:  # else not an id at all: it cannot match anything asked for
            by_id[agent_job_id] = item
    return {
        agent_job_id: by_id.get(agent_job_id) or _missing(agent_job_id, nameless)
        for agent_job_id in agent_job_ids
    }


def _as_job_id(raw_id: object) -> str | None:
    try:
        return canonical_job_id(raw_id)
    except ValueError:
        return None


def _unreadable(agent_job_id: str, reason: str) -> InvalidResponseError:
    msg = f"the server's batch answer for this job does not match the API spec ({reason})"
    return InvalidResponseError(msg, agent_job_id=agent_job_id)


def _missing(agent_job_id: str, nameless: list[str]) -> RoeError:
    if nameless:
        msg = (
            f"the server's batch answer has no readable entry for this job: {len(nameless)} "
            f"entr{'y' if len(nameless) == 1 else 'ies'} could not be read ({nameless[0]})"
        )
        return InvalidResponseError(msg, agent_job_id=agent_job_id)
    return NotFoundError(
        "the server's batch answer has no entry for this job; check the id and the organization",
        agent_job_id=agent_job_id,
    )


# Flows: each public client method is one generator that yields the calls it needs and receives
# their answers (or has their errors thrown in). A sync and an async driver run the same flow, so
# every decision is written once.


def single_flow(call: Call[T]) -> Generator[Call[Any], Any, T]:
    """A flow of one call whose answer is the result."""
    answer: T = yield call
    return answer


def result_flow(agent_job_id: str) -> Generator[Call[Any], Any, AgentJobResult]:
    """Read one result; a 404 or 5xx is explained by one question to the status endpoint."""
    try:
        result: AgentJobResult = yield result_call(agent_job_id)
    except (NotFoundError, ServerError) as error:
        status: AgentJobStatus | RoeError
        try:
            status = yield status_call(agent_job_id)
        except RoeError as status_error:
            status = status_error
        explained = explain_result_error(error, status)
        if explained is error:
            raise
        raise explained from error
    return result


def batch_flow(
    agent_job_ids: Sequence[str],
    make_call: Callable[[Sequence[str], str | None], Call[Any]],
    read: Callable[[Any], ItemT],
    settings: RoeSettings,
) -> Generator[Call[Any], Any, dict[str, ItemT | RoeError]]:
    """Ask for ids in chunks, follow next-page links, and match the items back to the ids.

    A chunk of N ids cannot legitimately need more than N items, nor more than N + 1 pages (each
    page but perhaps the last holds an item): past either, or on a link back to a page already read, the
    answer is an `InvalidResponseError` instead of an endless walk.
    """
    outcomes: dict[str, ItemT | RoeError] = {}
    for chunk in chunked(agent_job_ids):
        items: list[Any] = []
        next_url: str | None = None
        visited: set[str] = set()
        while True:
            call = make_call(chunk, next_url)
            answer: BatchAnswer | LoaderBatch = yield call
            page, next_url = page_items(answer, settings, call)
            items.extend(page)
            if len(items) > len(chunk):
                msg = (
                    f"the answer to {call.describe()} holds {len(items)} items or more for the "
                    f"{len(chunk)} ids asked for: it cannot be a legitimate answer"
                )
                raise InvalidResponseError(msg)
            if next_url is None:
                break
            if next_url in visited:
                msg = (
                    f"the answer to {call.describe()} links back to a page already read: {next_url}"
                )
                raise InvalidResponseError(msg)
            visited.add(next_url)
            if len(visited) > len(chunk):
                msg = (
                    f"the answer to {call.describe()} runs to more pages than the {len(chunk)} ids "
                    "asked for could fill: it cannot be a legitimate answer"
                )
                raise InvalidResponseError(msg)
        outcomes.update(match_by_id(chunk, items, read))
    return outcomes


def results_flow(
    agent_job_ids: Sequence[str], settings: RoeSettings
) -> Generator[Call[Any], Any, dict[str, AgentJobResultItem | RoeError]]:
    """Read many results through the batch endpoint, by the public model."""
    return batch_flow(agent_job_ids, results_call, read_result_item, settings)


def statuses_flow(
    agent_job_ids: Sequence[str], settings: RoeSettings
) -> Generator[Call[Any], Any, dict[str, AgentJobStatusItem | RoeError]]:
    """Read many statuses through the batch endpoint."""
    return batch_flow(agent_job_ids, statuses_call, read_status_item, settings)


def load_results_flow(
    agent_job_ids: Sequence[str], settings: RoeSettings
) -> Generator[Call[Any], Any, dict[str, WireResultItem | RoeError]]:
    """The loaders' bulk read: the batch results endpoint, decoded fast (`_wire_fast`)."""
    return batch_flow(agent_job_ids, loader_results_call, read_item, settings)


def status_flow(agent_job_id: str) -> Generator[Call[Any], Any, AgentJobStatus]:
    """Read one job's status."""
    return single_flow(status_call(agent_job_id))


def result_url(settings: RoeSettings, agent_job_id: str) -> str:
    """The absolute URL of a job's result, used as a Document's `source`.

    `agent_job_id` is canonical (checked by `canonical_job_id`): hex and hyphens, nothing to encode.
    """
    return settings.base_url + RESULT_PATH.format(agent_job_id=agent_job_id)
