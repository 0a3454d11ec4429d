"""Finding jobs instead of holding ids: an agent's job listing fed into the loaders' units.

`listing_feed` pages through an agent's jobs and hands the loader chunks of them as units, so only
a page and the units in flight are held however many jobs the agent has. `search_flow` is the
retriever's query: one or a few pages of the listing in the server's ranking order, then the
chosen jobs' outputs in one batch. Both add what the listing says of each job to its Documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from langchain_roe._convert._documents import FinishedJob, Metadata, listing_metadata
from langchain_roe._core._config import RoeSettings
from langchain_roe._core._constants import (
    SERVER_COUNT_CAP,
)
from langchain_roe._core._exceptions import InvalidResponseError, RoeError
from langchain_roe._core._flow import Flow, Report
from langchain_roe._core._formats import canonical_job_id
from langchain_roe._core._http import Call
from langchain_roe._core._listing import Pager, jobs_call
from langchain_roe._core._models import AgentJobSummary, Page
from langchain_roe._loaders._units import (
    Feed,
    LoadOptions,
    Outcome,
    Unit,
    batch_unit,
    single_unit,
)

MAX_SEARCH_PAGES: Final = 5
"""How many pages a retriever query reads at most to find `k` finished jobs."""
JOBS_LISTED_EVENT: Final = "roe_jobs_listed"
"""Reported after each page of an agent's job listing (the loaders' progress bar reads it)."""


@dataclass(frozen=True, slots=True)
class Listing:
    """Which of an agent's jobs a loader loads.

    The listing's filters, read by a fresh pager per load, and whether to skip the jobs the listing
    does not show as succeeded. Plain data (ids and strings), so a loader holding it pickles.
    """

    agent_id: str
    filters: Mapping[str, str]
    only_succeeded: bool

    def pager(self, settings: RoeSettings) -> Pager[AgentJobSummary]:
        """A pager from the listing's first page, on the host `settings` name."""
        return Pager(jobs_call(self.agent_id, self.filters), settings)


def listing_feed(
    listing: Listing, chunk_size: int, options: LoadOptions, *, batch: bool = True
) -> Feed[list[Outcome]]:
    """The listed jobs as units of `chunk_size` (batch) or one job each, in listing order.

    A job listed twice (pages shift when jobs are created or removed during a listing, or the
    server repeats itself) is loaded once: the pager hands on each listed id once, and stops a
    listing that makes no progress. A listing whose count drops while it is read (jobs removed) may
    have shifted a job onto a page already read: the page's report says by how much, and the
    loader warns.
    """
    pager = listing.pager(options.settings)
    call: Call[Page[AgentJobSummary]] | None = pager.first
    chunk: dict[str, Metadata] = {}
    pages = 0
    counted: int | None = None
    while call is not None:
        page: Page[AgentJobSummary] = yield call
        pages += 1
        shrank = counted - page.count if counted is not None and page.count is not None else 0
        counted = page.count if page.count is not None else counted
        skipped = 0
        for job in pager.new(page):
            agent_job_id = _listed_id(job)
            if agent_job_id is None:  # that job fails alone, as a bad batch item does
                yield Unit(_failed_unit(job.id[:80], _unreadable_id(job, call)))
                continue
            status = job.status_code
            if listing.only_succeeded and (status is None or not status.succeeded):
                skipped += 1
                continue
            chunk[agent_job_id] = listing_metadata(job)
            if len(chunk) >= chunk_size or not batch:
                yield Unit(listed_unit(chunk, options, batch=batch))
                chunk = {}
        yield Report(_listed(pages, page, skipped, max(shrank, 0)))
        call = pager.after(call, page)
    if chunk:
        yield Unit(listed_unit(chunk, options, batch=batch))


def search_flow(
    pager: Pager[AgentJobSummary],
    wanted: int,
    options: LoadOptions,
    output_keys: frozenset[str] | None,
) -> Flow[list[Outcome]]:
    """The listing's succeeded jobs in its ranking order, loaded, until they hold `wanted` outputs.

    Jobs are read in batches of at most as many as the Documents still wanted (each job gives at
    least one, unless it has no output with the `output_keys` asked for), so a server that ignores
    `page_size` and lists thousands of jobs on one page still has only the jobs needed read. A
    further page is read only when the page's jobs are used up with fewer than `wanted` outputs,
    and at most `MAX_SEARCH_PAGES` pages are. Each job's listing metadata gains its `rank`
    (1 = best).
    """
    found: list[Outcome] = []
    ranked = 0
    outputs = 0
    call: Call[Page[AgentJobSummary]] | None = pager.first
    pages = 0
    while call is not None and outputs < wanted and pages < MAX_SEARCH_PAGES:
        page: Page[AgentJobSummary] = yield call
        pages += 1
        chosen: dict[str, Metadata] = {}
        for job in pager.new(page):
            if outputs >= wanted:
                break
            agent_job_id = _listed_id(job)
            if agent_job_id is None:
                found.append((job.id[:80], _unreadable_id(job, call)))
                continue
            status = job.status_code
            if status is None or not status.succeeded:
                continue
            ranked += 1
            chosen[agent_job_id] = {**listing_metadata(job), "rank": ranked}
            if len(chosen) >= wanted - outputs:
                outputs += yield from _read_ranked(chosen, options, output_keys, found)
                chosen = {}
        if chosen:
            outputs += yield from _read_ranked(chosen, options, output_keys, found)
        if outputs < wanted:
            call = pager.after(call, page)
    return found


def _read_ranked(
    chosen: dict[str, Metadata],
    options: LoadOptions,
    output_keys: frozenset[str] | None,
    found: list[Outcome],
) -> Flow[int]:
    """Read the chosen jobs in one batch, add them to `found`; how many Documents they make."""
    loaded = yield from listed_unit(chosen, options, batch=True)
    found += loaded
    return sum(_kept(outcome, output_keys) for _, outcome in loaded)


def _kept(outcome: FinishedJob | RoeError, output_keys: frozenset[str] | None) -> int:
    """How many Documents a loaded job makes with `output_keys` (none for an error)."""
    if isinstance(outcome, RoeError):
        return 0
    if output_keys is None:
        return len(outcome.outputs)
    return sum(output.key in output_keys for output in outcome.outputs)


def listed_unit(
    jobs: dict[str, Metadata], options: LoadOptions, *, batch: bool
) -> Flow[list[Outcome]]:
    """Load the listed jobs and add what the listing said of each to its outputs' metadata."""
    if batch:
        outcomes = yield from batch_unit(list(jobs), options)
    else:
        (agent_job_id,) = jobs
        outcomes = yield from single_unit(agent_job_id, options)
    return [(i, _with_listing(outcome, jobs[i])) for i, outcome in outcomes]


def _with_listing(outcome: FinishedJob | RoeError, listed: Metadata) -> FinishedJob | RoeError:
    return replace(outcome, listing=listed) if isinstance(outcome, FinishedJob) else outcome


def _listed_id(job: AgentJobSummary) -> str | None:
    """The listed job's canonical id; None when the listing's id is not a UUID."""
    try:
        return canonical_job_id(job.id)
    except ValueError:
        return None


def _unreadable_id(job: AgentJobSummary, call: Call[Any]) -> InvalidResponseError:
    msg = f"the listing at {call.describe()} names a job whose id is not a UUID: {job.id[:80]!r}"
    return InvalidResponseError(msg)


def _failed_unit(key: str, error: RoeError) -> Flow[list[Outcome]]:
    """A unit that asks nothing: one listed job's failure, in its place in the listing."""
    return [(key, error)]
    yield  # pragma: no cover - a flow, though it yields no step


def _listed(pages: int, page: Page[AgentJobSummary], skipped: int, shrank: int) -> dict[str, Any]:
    """The progress event for a page read.

    Its number, the listing's count, the jobs skipped, and how far the count dropped since the
    page before.
    """
    return {
        "event": JOBS_LISTED_EVENT,
        "page": pages,
        "count": page.count,
        "skipped": skipped,
        "shrank": shrank,
        "capped": page.count is not None and page.count >= SERVER_COUNT_CAP,
    }
