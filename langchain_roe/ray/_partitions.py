"""An agent's jobs cut into partitions planned up front, and one partition loaded: no Ray here.

A partition is what one read task (or one Spark or Dask task) loads: a `JobWindow` of the agent's
listing, between two creation times, or a `JobChunk` of explicit ids. Windows are disjoint and,
together, cover every instant from the oldest listed job to the newest at planning time, so every
job is in exactly one of them whatever the listing does while it is read; their sizes come from
the listing's counts (which stay true while jobs are read, unlike page numbers, which shift). The
newest job's time ends the last window: a job created later is left for the next run, which starts
a microsecond after it (the listing's times have microsecond resolution).

`load_partition` is `RoeAgentJobResultLoader` over one partition (`from_agent` for a window, the
ids for a chunk), with the client of the process: made once per settings and reused for every
partition the process loads.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Unpack

from langchain_core.document_loaders import BaseBlobParser
from langchain_core.documents import Document
from pydantic import SecretStr

from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import SETTING_ENV_VARS, ClientSettings, RoeSettings
from langchain_roe._core._constants import LOGGER_NAME, MAX_JOBS_PAGE_SIZE, SERVER_COUNT_CAP
from langchain_roe._core._exceptions import ConfigurationError
from langchain_roe._core._formats import canonical_uuid, check_whole, unique_job_ids
from langchain_roe._core._listing import JobSelection, aware_time
from langchain_roe._core._surfaces import build_client
from langchain_roe.document_loaders import RoeAgentJobResultLoader

logger = logging.getLogger(LOGGER_NAME)

# How an agent's jobs are cut into read tasks.
DEFAULT_MAX_PARTITION_JOBS: Final = 10_000
"""Most jobs one listing window holds when planned: a retried read task redoes at most this many."""
MIN_AUTO_PARTITION_JOBS: Final = 1_000
"""Fewest jobs per window when Ray chooses the number of read tasks: one full batch request."""
MAX_PARTITION_IDS: Final = 1_000
"""Most explicit ids one partition holds: one batch request."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class JobFinding:
    """Which of an agent's jobs a window holds besides their times: the listing's other filters."""

    status: int | None = None
    version_name: str | None = None
    metadata: Mapping[str, str] | str | None = None
    search: str | None = None
    only_succeeded: bool = True

    def filters(self) -> dict[str, Any]:
        """The listing filters, as `list_jobs` and `count_jobs` take them (None left out)."""
        given = {
            "status": self.status,
            "version_name": self.version_name,
            "metadata": self.metadata,
            "search": self.search,
        }
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True, slots=True)
class JobWindow:
    """The agent's jobs created from `created_from` to `created_to`, both included.

    The next window starts a microsecond after this one ends. `listed` is how many jobs the
    listing counted here when the plan was made (what sized it; the load reads what is there).
    """

    agent_id: str
    created_from: datetime
    created_to: datetime
    listed: int
    finding: JobFinding = field(default_factory=JobFinding)


@dataclass(frozen=True, slots=True)
class JobChunk:
    """Explicit job ids, at most 1,000 (one batch request)."""

    agent_job_ids: tuple[str, ...]


#: What one read task loads.
Partition = JobWindow | JobChunk


class ListingFilters(JobSelection, total=False):
    """Which of an agent's listed jobs a plan takes, each as `from_agent` takes it.

    None means not given (`created_to`'s default: the newest job at planning); the filters apply
    to an agent's listing, not to explicit ids.
    """

    only_succeeded: bool
    """Load only the jobs the listing shows as succeeded (True by default, as `from_agent`)."""


#: The filters' names (the one list: `ListingFilters`).
FILTER_NAMES: Final = ListingFilters.__optional_keys__


def split_filters(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`options` parted into the listing filters and everything else."""
    filters = {name: value for name, value in options.items() if name in FILTER_NAMES}
    return filters, {name: value for name, value in options.items() if name not in FILTER_NAMES}


class PlanOptions(ListingFilters, ClientSettings, total=False):
    """What `plan_partitions` takes by keyword: the listing filters and the client settings."""


class PartitionOptions(ClientSettings, total=False):
    """How a partition is loaded: `RoeAgentJobResultLoader`'s options and the client settings.

    Each means what it means on the loader; None for a setting means not given (read from the
    environment of the process that loads).
    """

    output_keys: str | list[str] | None
    load_references: bool
    reference_parser: BaseBlobParser | None
    prefer_corrected_outputs: bool
    continue_on_failure: bool
    wait_for_completion: bool
    wait_timeout: float
    max_concurrency: int
    batch_size: int


class ReadOptions(ListingFilters, PartitionOptions, total=False):
    """What `read_roe_jobs` and `RoeJobsDatasource` take by keyword.

    The listing filters, the loader's options and the client settings.
    """


def plan_partitions(
    agent_id: str | None = None,
    *,
    job_ids: Iterable[str | uuid.UUID] | None = None,
    partitions: int = 1,
    min_partition_jobs: int = 1,
    max_partition_jobs: int | None = None,
    client: RoeClient | None = None,
    **options: Unpack[PlanOptions],
) -> list[Partition]:
    """Cut an agent's jobs (or explicit ids) into partitions, each loaded by `load_partition`.

    An agent's jobs: disjoint `JobWindow`s of creation time covering every instant from the oldest
    job the filters list to the newest, found by cutting time on the listing's counts (one
    one-job page per cut, where an even rate of jobs would part them evenly) and merging
    neighbours while they fit. Each window holds about `jobs / partitions` jobs, but not more than
    `max_partition_jobs` (10,000 by default) nor, where the listing allows, fewer than
    `min_partition_jobs`; only jobs created in one same microsecond, which no time window can
    part, make a window past the most. Explicit ids: `JobChunk`s,
    repeats dropped, in the order given, sized the same way and at most 1,000 each.

    Example:
        ```python
        from langchain_roe.ray import load_partition, plan_partitions

        plan = plan_partitions(
            "7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d", created_from="2026-11-02T09:00:00Z", partitions=8
        )
        documents = [d for partition in plan for d in load_partition(partition)]
        ```

    Args:
        agent_id: The agent whose jobs to plan (or give `job_ids`).
        job_ids: Explicit job ids instead of an agent's listing.
        partitions: How many partitions to aim for.
        min_partition_jobs: Fewest jobs per partition (fewer partitions, then).
        max_partition_jobs: Most jobs per partition (more partitions, then).
        client: The client that asks for the counts (else one is made from the settings given).
        **options: The listing filters (`ListingFilters`: `created_from`, `created_to`, `status`,
            `version_name`, `metadata`, `search`, `only_succeeded`) and the client settings, as
            `RoeClient` takes them (`PlanOptions`).

    Returns:
        The partitions in order (oldest window first, or the ids' order); none when the
        listing holds no job.

    Raises:
        ValueError: Neither or both of `agent_id` and `job_ids`, listing filters with `job_ids`,
            or a bad id, filter or size; before any request.
    """
    check_whole("partitions", partitions, 1)
    check_whole("min_partition_jobs", min_partition_jobs, 1)
    if max_partition_jobs is not None:
        check_whole("max_partition_jobs", max_partition_jobs, min_partition_jobs)
    if (agent_id is None) == (job_ids is None):
        msg = "give either agent_id (the agent's listed jobs) or job_ids, not both or neither"
        raise ValueError(msg)
    filters, settings = split_filters(options)
    only_succeeded = filters.pop("only_succeeded", True)
    if job_ids is not None:
        if any(value is not None for value in filters.values()):
            msg = "listing filters (created_from, status, ...) apply to agent_id, not to job_ids"
            raise ValueError(msg)
        ids = unique_job_ids(job_ids)
        most = min(max_partition_jobs or MAX_PARTITION_IDS, MAX_PARTITION_IDS)
        size = _size(len(ids), partitions, min(min_partition_jobs, most), most)
        return [JobChunk(tuple(ids[i : i + size])) for i in range(0, len(ids), size)]
    assert agent_id is not None  # noqa: S101 - one of the two is set
    agent_id = canonical_uuid(agent_id, "agent_id")
    status, created_from, created_to = (
        filters.pop(name, None) for name in ("status", "created_from", "created_to")
    )
    finding = JobFinding(
        None if status is None else int(status), only_succeeded=only_succeeded, **filters
    )
    planner = _Planner(
        build_client(client, **settings),
        agent_id,
        finding,
        None if created_from is None else aware_time(created_from, "created_from"),
        None if created_to is None else aware_time(created_to, "created_to"),
    )
    return planner.plan(partitions, min_partition_jobs, max_partition_jobs)


def _size(jobs: int, partitions: int, least: int, most: int) -> int:
    """Jobs per partition: an even share of `jobs`, within [least, most]."""
    return max(least, min(most, math.ceil(jobs / partitions)))


@dataclass
class _Planner:
    """One plan's listing questions: the bounds, then counts of windows (in microseconds)."""

    client: RoeClient
    agent_id: str
    finding: JobFinding
    created_from: datetime | None
    created_to: datetime | None

    def plan(self, partitions: int, least: int, most: int | None) -> list[Partition]:
        # The newest job first: a job created after this question is after the plan's end.
        newest = self._edge("-created_at")
        oldest = None if newest is None else self._edge("created_at")
        if newest is None or oldest is None or oldest > newest:
            return []
        start, end = _micros(oldest), _micros(newest)
        total = self._count(start, end, uncapped=True)
        if total is None:
            logger.warning("the job listing gives no count: the whole listing is one partition")
            return [self._window(start, end, 0)]
        size = _size(total, partitions, least, most or max(least, DEFAULT_MAX_PARTITION_JOBS))
        leaves = self._cut(start, end, total, size)
        merged: list[JobWindow] = []
        for leaf in leaves:
            last = merged[-1] if merged else None
            if last is not None and last.listed + leaf.listed <= size:
                merged[-1] = replace(
                    last, created_to=leaf.created_to, listed=last.listed + leaf.listed
                )
            else:
                merged.append(leaf)
        return list(merged)

    def _cut(self, start: int, end: int, total: int, size: int) -> list[JobWindow]:
        """Windows of at most `size` counted jobs (or one microsecond wide), in time order."""
        leaves: list[JobWindow] = []
        pending = [(start, end, total)]
        while pending:
            low, high, count = pending.pop()
            parts = math.ceil(count / size)
            if parts <= 1 or low == high:
                leaves.append(self._window(low, high, count))
                continue
            # Cut where an even spread would leave half the parts on the left: exact for jobs
            # created at a steady rate, and a valid cut (both sides non-empty spans) for any.
            middle = low + (high - low) * (parts // 2) // parts
            middle = min(max(middle, low), high - 1)
            left = self._count(low, middle) or 0
            # The right half's count follows from its parent's, unless the parent's was capped
            # (at least that many) or counts moved since (jobs removed): then it is asked for.
            right = count - left
            if count >= SERVER_COUNT_CAP or right < 0:
                right = self._count(middle + 1, high) or 0
            pending += [(middle + 1, high, right), (low, middle, left)]
        return leaves

    def _edge(self, ordering: str) -> datetime | None:
        """The creation time of the first job in `ordering`, within the filters."""
        jobs = self.client.list_jobs(
            self.agent_id,
            created_from=self.created_from,
            created_to=self.created_to,
            ordering=ordering,
            page_size=1,
            **self.finding.filters(),
        )
        first = next(iter(jobs), None)
        return None if first is None else first.created_at

    def _count(self, low: int, high: int, *, uncapped: bool = False) -> int | None:
        """The jobs counted from `low` to `high`.

        The whole span's is counted without the server's cap (`limit=0`, slower for the server,
        asked once), so that the sizes come from the true total.
        """
        return self.client.count_jobs(
            self.agent_id,
            created_from=_time(low),
            created_to=_time(high),
            limit=0 if uncapped else None,
            **self.finding.filters(),
        )

    def _window(self, low: int, high: int, count: int) -> JobWindow:
        return JobWindow(self.agent_id, _time(low), _time(high), count, self.finding)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _time(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def load_partition(
    partition: Partition, *, client: RoeClient | None = None, **options: Unpack[PartitionOptions]
) -> Iterator[Document]:
    """The Documents of one partition, streamed: what a read task (or a Spark or Dask task) runs.

    Exactly the Documents `RoeAgentJobResultLoader` makes: `from_agent` over a window (its
    listing read 1,000 jobs a page), the ids of a chunk. Without `client`, the process's client
    for these settings is used (made on first use, then reused by every partition it loads), and
    settings not given are read from this process's environment (`ROE_API_KEY`, ...).

    Args:
        partition: A partition from `plan_partitions`.
        client: A ready client, instead of client settings.
        **options: The loader's options and the client settings (`PartitionOptions`).

    Raises:
        ValueError: A bad option, before any request.
        ConfigurationError: Both `client` and client settings, or an invalid setting.
    """
    given: dict[str, Any] = dict(options)
    settings = {name: given.pop(name) for name in list(given) if name in SETTING_ENV_VARS}
    if client is None:
        client = process_client(settings)
    elif any(value is not None for value in settings.values()):
        msg = "pass either client=... or client settings, not both"
        raise ConfigurationError(msg)
    if isinstance(partition, JobChunk):
        loader = RoeAgentJobResultLoader(list(partition.agent_job_ids), client=client, **given)
    else:
        finding = partition.finding
        loader = RoeAgentJobResultLoader.from_agent(
            partition.agent_id,
            created_from=partition.created_from,
            created_to=partition.created_to,
            only_succeeded=finding.only_succeeded,
            page_size=MAX_JOBS_PAGE_SIZE,
            client=client,
            **finding.filters(),
            **given,
        )
    return loader.lazy_load()


def check_options(
    client: RoeClient | None, settings: Mapping[str, Any], options: Mapping[str, Any]
) -> None:
    """Refuse bad loader options or settings here, before a partition is shipped anywhere.

    Raises:
        ValueError: A bad option (or a setting, as a `ConfigurationError`).
    """
    checking = build_client(client, **settings)
    RoeAgentJobResultLoader(str(uuid.UUID(int=0)), client=checking, **options)


_CLIENTS: dict[RoeSettings, RoeClient] = {}
_CLIENTS_LOCK = threading.Lock()


def process_client(settings: Mapping[str, Any]) -> RoeClient:
    """This process's client for `settings` (those not given read from its environment).

    Made on first use and kept, so the partitions a worker loads share one connection pool.
    """
    given = {name: value for name, value in settings.items() if value is not None}
    key = given.get("api_key")
    if isinstance(key, SecretStr):
        given["api_key"] = key.get_secret_value()
    resolved = RoeSettings.resolve(**given)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(resolved)
        if client is None:
            client = _CLIENTS[resolved] = RoeClient(**given)
    return client


def carried_settings(client: RoeClient | None, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a read task carries to its worker: a client's own, or those given.

    Settings not given are not resolved here: the worker reads them from its own environment. A
    key travels as a `SecretStr`, so no repr of a task shows it.
    """
    if client is not None:
        carried = {name: getattr(client.settings, name) for name in SETTING_ENV_VARS}
    else:
        carried = dict(settings)
    carried = {name: value for name, value in carried.items() if value is not None}
    if isinstance(carried.get("api_key"), str):
        carried["api_key"] = SecretStr(carried["api_key"])
    return carried
