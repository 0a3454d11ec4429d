"""What the test servers know of an agent's jobs as `GET /v1/agents/{agent_id}/jobs/` lists them.

A `JobTable` holds one agent's jobs (id, creation time, status, version name, metadata and the
text its search reads) and answers the listing as the spec describes it: DRF page-number
pagination with absolute `next` links, the filters `created_from`, `created_to`, `status_code`,
`version_name`, `metadata`, `search`, `semantic_string`, `ordering`, `page` and `page_size`.

Undocumented, so chosen here (and said in the cassette README):
- `metadata` is a JSON object; a job matches when its metadata holds every pair.
- `search` matches a job whose id or text contains the string, case ignored.
- `semantic_string` is a deterministic stand-in for embedding search: jobs sharing at least one
  word with the query, ranked by how many words they share (then newest first).

Misbehaviours on demand (`JobTable.faults`, the names in `LISTING_FAULTS`), to test that a client
loads each job once and stops a listing that makes no progress: a server that ignores `page` (every
page is the first, its `next` still moving on), one that sends no `count`, one whose `next` never
ends (past the last page it answers empty pages that link on), and one that ignores `page_size`.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

#: The agent whose jobs the test servers list (the loopback's synthetic jobs, the fake API's
#: example jobs).
LISTED_AGENT_ID = "7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d"
#: The first listed job's creation time; each next one is a minute later.
EPOCH = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: The listing's misbehaviours a `JobTable` can be told to show (`JobTable.faults`).
LISTING_FAULTS = frozenset({"ignores_page", "uncounted", "endless", "ignores_page_size"})
_ORDER_FIELDS = {
    "created_at": lambda job: job.created_at,
    "last_updated_at": lambda job: job.updated_at,
    "id": lambda job: job.agent_job_id,
    "status_code": lambda job: job.status,
    "agent_version_name": lambda job: job.version_name,
}


@dataclass
class ListedJob:
    """One job of the agent, as its listing sees it."""

    agent_job_id: str
    created_at: datetime
    status: int = 3
    version_name: str = "version 3"
    metadata: dict[str, str] = field(default_factory=dict)
    text: str = ""
    """What `search` and the semantic stand-in read: the job's inputs, in words."""
    error_message: str | None = None
    updated_at: datetime | None = None

    def summary(self) -> dict[str, Any]:
        """The job as a `ListAgentJob`."""
        updated = self.updated_at or self.created_at + timedelta(seconds=28)
        events = [
            {"timestamp": _iso(self.created_at), "status_code": 0},
            {"timestamp": _iso(updated), "status_code": self.status},
        ]
        if self.error_message is not None:
            events[-1]["error_message"] = self.error_message
        return {
            "id": self.agent_job_id,
            "agent_version_name": self.version_name,
            "status_events": events,
            "status_code": self.status,
            "created_at": _iso(self.created_at),
            "last_updated_at": _iso(updated),
            "duration_ms": 28_000 if self.status in (3, 4, 5, 6) else None,
            "job_inputs": [
                {
                    "key": "question",
                    "description": "",
                    "data_type": "text/plain",
                    "value": self.text,
                }
            ],
            "metadata": self.metadata,
            "ui_fields": None,
            "evaluation": None,
            "feedback_review": None,
            "creator": None,
        }


@dataclass
class JobTable:
    """One agent's jobs; `requests` counts the listing requests answered, `pages` the page each
    asked for."""

    agent_id: str
    jobs: dict[str, ListedJob] = field(default_factory=dict)
    requests: int = 0
    pages: list[int] = field(default_factory=list)
    faults: set[str] = field(default_factory=set)
    """How the listing misbehaves: names from `LISTING_FAULTS` (none by default)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_time: list[ListedJob] | None = None
    """The jobs oldest first, once `index()` made it: time windows are then answered by bisection
    (a listing of a million jobs answers in milliseconds). Kept up to date by `add` only."""

    def add(self, job: ListedJob) -> ListedJob:
        with self.lock:
            self.jobs[job.agent_job_id] = job
            if self.by_time is not None:
                bisect.insort(self.by_time, job, key=_time_order)
        return job

    def index(self) -> None:
        """Answer time windows from a sorted index from now on (the table then changes by `add`)."""
        with self.lock:
            self.by_time = sorted(self.jobs.values(), key=_time_order)

    def answer(self, base_url: str, path: str, query: str) -> tuple[int, Any]:
        """The answer to `GET <path>?<query>`, the agent's id already matched."""
        params = {name: values[-1] for name, values in parse_qs(query).items()}
        with self.lock:
            self.requests += 1
            indexed = self.by_time if set(params) <= _INDEXED_PARAMS else None
            jobs = [] if indexed is not None else list(self.jobs.values())
        unknown = self.faults - LISTING_FAULTS
        if unknown:
            raise ValueError(f"no such listing fault: {', '.join(sorted(unknown))}")
        try:
            selected = _window(indexed, params) if indexed is not None else _select(jobs, params)
            page = int(params.get("page", "1"))
            size = min(int(params.get("page_size", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
        except ValueError as error:
            return 400, {"detail": [str(error)]}
        if "ignores_page_size" in self.faults:
            size = max(len(selected), 1)
        with self.lock:
            self.pages.append(page)
        endless = "endless" in self.faults
        past_the_end = (page - 1) * size > max(len(selected) - 1, 0)
        if page < 1 or size < 1 or (past_the_end and not endless):
            return 404, {"detail": "Invalid page."}
        shown = 1 if "ignores_page" in self.faults else page
        results = selected[(shown - 1) * size : shown * size]

        def link(number: int) -> str | None:
            if number < 1 or ((number - 1) * size >= len(selected) and not endless):
                return None
            return f"{base_url}{path}?{urlencode({**params, 'page': str(number)})}"

        answer = {
            "count": len(selected),
            "next": link(page + 1),
            "previous": link(page - 1),
            "results": [job.summary() for job in results],
        }
        if "uncounted" in self.faults:
            del answer["count"]
        return 200, answer


#: The questions the index answers: a time window, oldest or newest first, a page of it.
_INDEXED_PARAMS = frozenset(
    {"created_from", "created_to", "ordering", "page", "page_size", "limit", "organization_id"}
)


def _time_order(job: ListedJob) -> tuple[datetime, str]:
    return job.created_at, job.agent_job_id


def _window(by_time: list[ListedJob], params: dict[str, str]) -> list[ListedJob]:
    """`_select` for a time window, by bisection of the jobs oldest first."""
    low, high = 0, len(by_time)
    if "created_from" in params:
        start = _time(params["created_from"], "created_from")
        low = bisect.bisect_left(by_time, start, key=lambda job: job.created_at)
    if "created_to" in params:
        end = _time(params["created_to"], "created_to")
        high = bisect.bisect_right(by_time, end, key=lambda job: job.created_at)
    selected = by_time[low : max(low, high)]
    ordering = params.get("ordering", "-created_at")
    if ordering.split(",")[0] not in ("created_at", "-created_at"):
        return _select(selected, params)
    if ordering.startswith("created_at"):
        return selected
    # Newest first, ties in table order as `_select` leaves them (a stable sort of a sorted run).
    return sorted(selected, key=lambda job: job.created_at, reverse=True)


def _select(jobs: list[ListedJob], params: dict[str, str]) -> list[ListedJob]:
    """The jobs the filters keep, in the order asked for."""
    if "created_from" in params:
        start = _time(params["created_from"], "created_from")
        jobs = [job for job in jobs if job.created_at >= start]
    if "created_to" in params:
        end = _time(params["created_to"], "created_to")
        jobs = [job for job in jobs if job.created_at <= end]
    if "status_code" in params:
        jobs = [job for job in jobs if job.status == int(params["status_code"])]
    if "version_name" in params:
        jobs = [job for job in jobs if job.version_name == params["version_name"]]
    if "metadata" in params:
        wanted = json.loads(params["metadata"])
        jobs = [job for job in jobs if wanted.items() <= job.metadata.items()]
    if "search" in params:
        needle = params["search"].lower()
        jobs = [j for j in jobs if needle in j.text.lower() or needle in j.agent_job_id]
    ordering = params.get("ordering", "-created_at").split(",")
    for name in reversed(ordering):
        key = _ORDER_FIELDS[name.removeprefix("-")]
        jobs.sort(key=key, reverse=name.startswith("-"))
    if "semantic_string" in params:
        asked = _words(params["semantic_string"])
        scored = [(len(asked & _words(job.text)), job) for job in jobs]
        jobs = [job for score, job in sorted(scored, key=lambda s: -s[0]) if score > 0]
    return jobs


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower())) - _STOP_WORDS


_STOP_WORDS = frozenset({"a", "about", "and", "customer", "for", "is", "of", "question", "the"})


def _time(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: Enter a valid date/time.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: Words the synthetic jobs' texts are made of, so semantic queries have something to match.
TOPICS = (
    "invoice",
    "refund",
    "shipping",
    "fraud",
    "sanctions",
    "onboarding",
    "counterfeit",
    "warranty",
)


def synthetic_job(agent_job_id: str, position: int, status: int = 3) -> ListedJob:
    """A listed job made from its id and position: time, version, metadata and text all derived."""
    digest = uuid.UUID(agent_job_id).int
    topics = sorted({TOPICS[digest % 8], TOPICS[(digest >> 8) % 8]})
    return ListedJob(
        agent_job_id,
        EPOCH + timedelta(minutes=position),
        status=status,
        version_name="version 2" if position % 4 == 0 else "version 3",
        metadata={"customer": f"c{position % 5}", "region": "eu" if position % 2 else "us"},
        text=f"question about {' and '.join(topics)} for customer c{position % 5}",
    )
