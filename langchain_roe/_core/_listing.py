"""Listings: an agent's jobs as a `Call` with its filters checked, and how any listing is paged.

`GET /v1/agents/{agent_id}/jobs/` answers pages of job summaries (no outputs). Its filters are
checked and written here before any request: times must say their time zone, statuses are the
API's codes, orderings the spec's fields. `Pager` follows a listing's `next` links on the
configured host only, hands on each listed item once, and stops a listing that never ends, comes
back on itself or makes no progress.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, Protocol, TypedDict, TypeVar, Unpack

from pydantic import BaseModel

from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import (
    AGENT_JOBS_PATH,
    JOB_ORDERING_FIELDS,
    LIMIT_PARAM,
    MAX_JOBS_PAGE_SIZE,
    MAX_STALE_PAGES,
    PAGE_SIZE_PARAM,
)
from langchain_roe._core._exceptions import InvalidResponseError
from langchain_roe._core._formats import (
    canonical_job_id,
    canonical_uuid,
    check_whole,
    next_page_problem,
)
from langchain_roe._core._http import Call, decoder
from langchain_roe._core._models import AgentJobStatusCode, AgentJobSummary, Page


class Listed(Protocol):
    """What a listing lists: items with an id (agents, job summaries)."""

    @property
    def id(self) -> str: ...


ListedT = TypeVar("ListedT", bound=Listed)


#: A time a filter takes: an aware `datetime`, or an ISO 8601 string with its offset.
When = datetime | str


def jobs_call(agent_id: str, params: Mapping[str, str]) -> Call[Page[AgentJobSummary]]:
    """`GET /v1/agents/{agent_id}/jobs/` with filters `job_filters` checked."""
    path = AGENT_JOBS_PATH.format(agent_id=canonical_uuid(agent_id, "agent_id"))
    return Call("GET", path, decoder(Page[AgentJobSummary]), params=dict(params))


class JobSelection(TypedDict, total=False):
    """The listing filters that choose jobs (the others rank, page or cap them).

    None means not given.
    """

    created_from: When | None
    """Only jobs created at or after this time (an aware datetime or an ISO 8601 string)."""
    created_to: When | None
    """Only jobs created at or before this time."""
    status: AgentJobStatusCode | int | None
    """Only jobs the listing shows in this status."""
    version_name: str | None
    """Only jobs run by the agent version of this name."""
    metadata: Mapping[str, str] | str | None
    """Only jobs started with this metadata."""
    search: str | None
    """Only jobs the server's text search finds for this string."""


class JobFilters(JobSelection, total=False):
    """The job listing's filters, as `list_jobs`, `alist_jobs` and `job_filters` take them.

    None means not given. What each filter means: `RoeClient.list_jobs`. Each is sent as the query
    parameter of its name, as the spec names them; `status` alone goes as `status_code`.
    """

    semantic_string: str | None
    ordering: str | Sequence[str] | None
    page_size: int | None
    limit: int | None


def job_filters(**filters: Unpack[JobFilters]) -> dict[str, str]:
    """The job listing's query parameters, each checked.

    `metadata` as a mapping is sent as a JSON object (the spec says only "a string": the encoding
    is assumed; a string is sent as it is).

    Raises:
        ValueError: A time without a time zone or that does not parse, `created_from` after
            `created_to`, a status the API does not number, an empty text filter, an ordering the
            spec does not list, or a page size or limit out of range; the message names the filter.
        TypeError: A filter the listing does not have.
    """
    unknown = sorted(set(filters) - JobFilters.__optional_keys__)
    if unknown:
        msg = f"the job listing has no filter {', '.join(unknown)}"
        raise TypeError(msg)
    status, metadata = filters.get("status"), filters.get("metadata")
    ordering, page_size, limit = (
        filters.get("ordering"),
        filters.get("page_size"),
        filters.get("limit"),
    )
    params: dict[str, str] = {}
    start = _when(filters.get("created_from"), "created_from")
    end = _when(filters.get("created_to"), "created_to")
    if start is not None and end is not None and start > end:
        msg = f"created_from ({start.isoformat()}) is after created_to ({end.isoformat()})"
        raise ValueError(msg)
    if start is not None:
        params["created_from"] = start.isoformat()
    if end is not None:
        params["created_to"] = end.isoformat()
    if status is not None:
        params["status_code"] = str(_status(status))  # the one filter named apart
    for name in ("version_name", "search", "semantic_string"):
        text = filters.get(name)
        if text is not None:
            params[name] = _text(text, name)
    if metadata is not None:
        params["metadata"] = _metadata(metadata)
    if ordering is not None:
        params["ordering"] = _ordering(ordering)
    if page_size is not None:
        params[PAGE_SIZE_PARAM] = str(
            check_whole(PAGE_SIZE_PARAM, page_size, 1, MAX_JOBS_PAGE_SIZE)
        )
    if limit is not None:
        params[LIMIT_PARAM] = str(check_whole(LIMIT_PARAM, limit, 0, 1_000_000))
    return params


def aware_time(value: When, name: str) -> datetime:
    """`value` as an aware datetime.

    Raises:
        ValueError: Naive, not ISO 8601, or neither a datetime nor a string.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            msg = f"{name} must be an ISO 8601 time such as '2026-11-30T09:00:00Z', got {value!r}"
            raise ValueError(msg) from None
    if not isinstance(value, datetime):
        msg = f"{name} must be a datetime or an ISO 8601 string, got {type(value).__name__}"
        raise ValueError(msg)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = (
            f"{name} has no time zone ({value.isoformat()}): say which, as in "
            "datetime(..., tzinfo=timezone.utc) or '2026-11-30T09:00:00Z'; a naive time could "
            "be read as the server's zone and skip or repeat jobs"
        )
        raise ValueError(msg)
    return value


def _when(value: When | None, name: str) -> datetime | None:
    return None if value is None else aware_time(value, name)


def _status(status: object) -> int:
    known = {code.value for code in AgentJobStatusCode if not code.name.startswith("UNKNOWN")}
    if isinstance(status, int) and not isinstance(status, bool) and status in known:
        return int(status)
    names = ", ".join(code.name for code in AgentJobStatusCode)
    msg = f"status must be an AgentJobStatusCode ({names}), got {status!r}"
    raise ValueError(msg)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{name} must be a non-empty string, got {value!r}"
        raise ValueError(msg)
    return value


def _metadata(metadata: object) -> str:
    if isinstance(metadata, str):
        return _text(metadata, "metadata")
    if not isinstance(metadata, Mapping) or not metadata:
        msg = f"metadata must be a non-empty mapping of strings, got {metadata!r}"
        raise ValueError(msg)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        msg = f"metadata keys and values must be strings, got {dict(metadata)!r}"
        raise ValueError(msg)
    return json.dumps(dict(metadata), separators=(",", ":"), ensure_ascii=False)


def _ordering(ordering: object) -> str:
    fields = [ordering] if isinstance(ordering, str) else ordering
    if not isinstance(fields, Sequence) or not fields:
        msg = f"ordering must be a field name or a sequence of them, got {ordering!r}"
        raise ValueError(msg)
    for name in fields:
        if not isinstance(name, str) or name.removeprefix("-") not in JOB_ORDERING_FIELDS:
            allowed = ", ".join(sorted(JOB_ORDERING_FIELDS))
            msg = f"ordering {name!r} is not one of {allowed} (with '-' for descending)"
            raise ValueError(msg)
    return ",".join(fields)


@dataclass
class Pager(Generic[ListedT]):
    """Where a listing goes next: its first call, then each page's `next` link, checked.

    Used as `call = pager.first`, then for each page `items = pager.new(page)` (the items not
    listed before) and `call = pager.after(call, page)`, until the call is None. The ids of the
    items listed are kept (about a hundred bytes each), so that each is handed on once.
    """

    first: Call[Page[ListedT]]
    settings: RoeSettings
    identity: Callable[[ListedT], Hashable] = field(default=lambda item: _identity(item))
    """What tells two listed items apart: the id by default (a job's); `whole_entry` for
    listings whose entries are few and whose ids a server may reuse."""
    seen: int = 0
    visited: set[str] = field(default_factory=set)
    listed: set[Hashable] = field(default_factory=set)
    """The identities listed so far (an id: a UUID in its canonical form)."""
    stale: int = 0
    """How many pages in a row brought nothing new."""
    _read: Page[ListedT] | None = None

    def new(self, page: Page[ListedT]) -> list[ListedT]:
        """The items of `page` not listed before, in its order; each id counts once.

        A job listed twice (pages shift when jobs are created or removed while a listing is read,
        or the server repeats itself) is handed on the first time only.
        """
        fresh = []
        for item in page.results:
            key = self.identity(item)
            if key not in self.listed:
                self.listed.add(key)
                fresh.append(item)
        self.seen += len(page.results)
        self.stale = 0 if fresh else self.stale + 1
        self._read = page
        return fresh

    def after(self, call: Call[Page[ListedT]], page: Page[ListedT]) -> Call[Page[ListedT]] | None:
        """The call for the page after `page`, or None at the listing's end.

        Raises:
            InvalidResponseError: `MAX_STALE_PAGES` pages in a row brought nothing new (even
                at the listing's end: the jobs the repeats stood in for are missing), or the link
                leaves the configured host, comes back to a page already read, follows an empty
                page, or the pages hold more items than their count.
        """
        if self._read is not page:
            self.new(page)
        if self.stale >= MAX_STALE_PAGES:  # at the end too: what the repeats hid is lost
            msg = (
                f"the listing at {call.describe()} brought nothing new on {self.stale} pages in a "
                "row (the server is repeating itself): it cannot be a legitimate answer"
            )
            raise InvalidResponseError(msg)
        if page.next is None:
            return None
        wrong = next_page_problem(self.settings.base_url, page.next)
        if wrong is not None:
            raise InvalidResponseError(f"the answer to {call.describe()} {wrong}")
        problem = None
        if page.next in self.visited:
            problem = "links back to a page already read"
        elif not page.results:
            problem = "links an empty page to another"
        elif page.count is not None and self.seen > page.count:
            problem = f"holds more items than its count of {page.count}"
        if problem:
            msg = f"the listing at {call.describe()} {problem}: it cannot be a legitimate answer"
            raise InvalidResponseError(msg)
        self.visited.add(page.next)
        return replace(self.first, url=page.next, params=None)


def whole_entry(item: BaseModel) -> Hashable:
    """An entry's identity as all it says (the agents listing: an organization's few agents)."""
    return item.model_dump_json()


def _identity(item: Listed) -> str:
    """What tells listed items apart: the id, a UUID in its canonical form."""
    try:
        return canonical_job_id(item.id)
    except ValueError:
        return item.id
