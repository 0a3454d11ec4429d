"""`plan_partitions` and `load_partition` without Ray: every job in exactly one partition.

The listing is `tests/support/listing.py`'s `JobTable` behind an `httpx.MockTransport`, so a test
can add and remove jobs between the planner's questions; the loads go through the loopback
server's routes, in process. Exactness is checked against the table itself: each job's creation
time falls in exactly one window.
"""

from __future__ import annotations

import itertools
import json
import pickle
import random
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document

from langchain_roe import AgentJobStatusCode, RoeAgentJobResultLoader, RoeClient
from langchain_roe.ray import (
    JobChunk,
    JobWindow,
    Partition,
    documents_from_rows,
    load_partition,
    plan_partitions,
)
from langchain_roe.ray._partitions import carried_settings, process_client
from langchain_roe.ray._rows import document_rows, row_batches
from tests.support.listing import EPOCH, JobTable, ListedJob, synthetic_job
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.mock_api import mock_client

BASE_URL = "http://127.0.0.1:0"  # the loopback server's own address while it is not started


def listing_client(
    table: JobTable, before: Callable[[httpx.Request], None] | None = None
) -> tuple[RoeClient, list[httpx.Request]]:
    """A client whose listing is `table`; `before` runs ahead of each answer (to change it)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if before is not None:
            before(request)
        status, body = table.answer(BASE_URL, request.url.path, request.url.query.decode())
        return httpx.Response(status, json=body)

    return mock_client(handler, base_url=BASE_URL), seen


def table_of(times: Iterable[datetime]) -> JobTable:
    table = JobTable(LISTED_AGENT_ID)
    for n, created_at in enumerate(times):
        table.add(ListedJob(str(uuid.UUID(int=(0xB0 << 120) + n)), created_at))
    return table


def windows(plan: list[Partition]) -> list[JobWindow]:
    assert all(isinstance(p, JobWindow) for p in plan)
    return [p for p in plan if isinstance(p, JobWindow)]


def assert_exact(plan: list[Partition], jobs: Iterable[ListedJob]) -> list[int]:
    """Each job is in exactly one window, the windows follow one another a microsecond apart;
    returns how many jobs each window holds."""
    cut = windows(plan)
    for before, after in itertools.pairwise(cut):
        assert after.created_from == before.created_to + timedelta(microseconds=1)
    held = [0] * len(cut)
    for job in jobs:
        homes = [n for n, w in enumerate(cut) if w.created_from <= job.created_at <= w.created_to]
        assert len(homes) == 1, (job, homes)
        held[homes[0]] += 1
    return held


def test_windows_cover_the_listing_and_have_even_sizes() -> None:
    table = table_of(EPOCH + timedelta(minutes=n) for n in range(1000))
    client, seen = listing_client(table)
    plan = plan_partitions(LISTED_AGENT_ID, partitions=4, client=client)
    held = assert_exact(plan, table.jobs.values())
    assert held == [250] * 4
    assert [w.listed for w in windows(plan)] == held
    first, last = windows(plan)[0], windows(plan)[-1]
    assert (first.created_from, last.created_to) == (EPOCH, EPOCH + timedelta(minutes=999))
    assert len(seen) <= 3 + 2 * len(plan)  # bounds, total, then about one count per cut


def test_gaps_cost_nothing_and_leave_no_job_out() -> None:
    # Three bursts of 100 jobs, months apart: the empty spans merge into their neighbours.
    times = [
        EPOCH + timedelta(days=90 * burst, seconds=n) for burst in range(3) for n in range(100)
    ]
    table = table_of(times)
    client, _ = listing_client(table)
    plan = plan_partitions(LISTED_AGENT_ID, partitions=3, client=client)
    assert assert_exact(plan, table.jobs.values()) == [100, 100, 100]


def test_a_burst_within_one_second_is_cut_by_microseconds() -> None:
    times = [EPOCH + timedelta(microseconds=n * 300) for n in range(3000)]  # 0.9 s in all
    table = table_of(times)
    client, _ = listing_client(table)
    plan = plan_partitions(LISTED_AGENT_ID, partitions=6, client=client)
    held = assert_exact(plan, table.jobs.values())
    assert sum(held) == 3000
    assert max(held) <= 500
    assert len(plan) <= 12  # near the 6 asked: a cut lands near, not on, the even share


def test_jobs_of_one_same_microsecond_stay_together() -> None:
    times = [EPOCH] * 50 + [EPOCH + timedelta(seconds=n + 1) for n in range(50)]
    table = table_of(times)
    client, _ = listing_client(table)
    plan = plan_partitions(LISTED_AGENT_ID, partitions=10, client=client)
    held = assert_exact(plan, table.jobs.values())
    assert held[0] == 50  # no time window parts them: the one partition bigger than asked
    assert max(held[1:]) <= 10


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=400),
    repeats=st.lists(st.integers(min_value=0, max_value=399), max_size=100),
    partitions=st.integers(min_value=1, max_value=40),
    most=st.integers(min_value=1, max_value=200),
)
def test_any_listing_is_cut_exactly(
    offsets: list[int], repeats: list[int], partitions: int, most: int
) -> None:
    # Microseconds over about 17 minutes, some repeated: bursts, gaps and same-instant jobs.
    offsets += [offsets[i % len(offsets)] for i in repeats]
    table = table_of(EPOCH + timedelta(microseconds=offset) for offset in offsets)
    client, _ = listing_client(table)
    plan = plan_partitions(
        LISTED_AGENT_ID, partitions=partitions, max_partition_jobs=most, client=client
    )
    held = assert_exact(plan, table.jobs.values())
    size = max(1, min(most, -(-len(offsets) // partitions)))
    for window, count in zip(windows(plan), held, strict=True):
        assert count <= size or window.created_from == window.created_to


def test_jobs_added_and_removed_while_planning_are_each_in_one_window_or_after_the_end() -> None:
    table = table_of(EPOCH + timedelta(seconds=n) for n in range(2000))
    rng = random.Random(19)
    added: list[ListedJob] = []
    count = [0]

    def churn(request: httpx.Request) -> None:
        count[0] += 1
        if count[0] == 1:
            return  # the first question (the newest job) sees the listing as it was
        jobs = list(table.jobs)
        with table.lock:
            del table.jobs[rng.choice(jobs)]  # a job deleted
        past = EPOCH + timedelta(seconds=rng.uniform(0, 1999))
        future = EPOCH + timedelta(seconds=2000 + count[0])  # created after planning began
        for created_at in (past, future):
            job = table.add(ListedJob(str(uuid.uuid4()), created_at))
            added.append(job)

    client, seen = listing_client(table, churn)
    plan = plan_partitions(LISTED_AGENT_ID, partitions=8, client=client)
    end = windows(plan)[-1].created_to
    assert end == EPOCH + timedelta(seconds=1999)  # the newest job when planning began
    within = [job for job in table.jobs.values() if job.created_at <= end]
    later = [job for job in table.jobs.values() if job.created_at > end]
    assert_exact(plan, within)  # what the windows hold now: each in exactly one
    assert later  # the next run's, from end + 1 us
    assert all(job in added for job in later)
    assert len(seen) > 10


def test_the_filters_go_with_every_question_and_every_window() -> None:
    table = JobTable(LISTED_AGENT_ID)
    for position, agent_job_id in enumerate(job_ids(400)):
        table.add(synthetic_job(agent_job_id, position))
    client, seen = listing_client(table)
    plan = plan_partitions(
        LISTED_AGENT_ID,
        created_from=EPOCH + timedelta(minutes=100),
        version_name="version 3",
        metadata={"region": "eu"},
        partitions=3,
        client=client,
    )
    for request in seen:
        query = parse_qs(request.url.query.decode())
        assert query["version_name"] == ["version 3"]
        assert json.loads(query["metadata"][0]) == {"region": "eu"}
        assert datetime.fromisoformat(query["created_from"][0]) >= EPOCH + timedelta(minutes=100)
    wanted = [
        job
        for job in table.jobs.values()
        if job.version_name == "version 3"
        and job.metadata["region"] == "eu"
        and job.created_at >= EPOCH + timedelta(minutes=100)
    ]
    assert sum(assert_exact(plan, wanted)) == len(wanted) == 150
    assert all(w.finding.version_name == "version 3" for w in windows(plan))


def test_an_empty_listing_plans_nothing() -> None:
    client, seen = listing_client(JobTable(LISTED_AGENT_ID))
    assert plan_partitions(LISTED_AGENT_ID, client=client) == []
    assert len(seen) == 1  # the newest job, asked first, is not there


def test_explicit_ids_are_deduplicated_and_chunked_by_at_most_1000() -> None:
    ids = job_ids(2500)
    given: list[str | uuid.UUID] = [*ids, ids[0].upper(), uuid.UUID(ids[1]), ids[2]]
    plan = plan_partitions(job_ids=given)
    assert [len(p.agent_job_ids) for p in plan if isinstance(p, JobChunk)] == [1000, 1000, 500]
    assert [i for p in plan if isinstance(p, JobChunk) for i in p.agent_job_ids] == ids
    spread = plan_partitions(job_ids=ids, partitions=4)
    assert [len(p.agent_job_ids) for p in spread if isinstance(p, JobChunk)] == [625] * 4
    fewer = plan_partitions(job_ids=ids, partitions=50, min_partition_jobs=1000)
    assert len(fewer) == 3
    assert len(plan_partitions(job_ids=ids, max_partition_jobs=5000)) == 3  # never past 1000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "either agent_id"),
        ({"agent_id": LISTED_AGENT_ID, "job_ids": job_ids(1)}, "either agent_id"),
        ({"job_ids": job_ids(1), "search": "refund"}, "apply to agent_id"),
        ({"job_ids": job_ids(1), "partitions": 0}, "partitions"),
        ({"job_ids": ["not-a-uuid"]}, "UUID"),
        ({"agent_id": LISTED_AGENT_ID, "created_from": "2026-11-02T09:00:00"}, "time zone"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan_partitions(**arguments, api_key="k", base_url=BASE_URL)


# Loading a plan: the same Documents as one loader, each once.


def route_client(server: LoopbackServer, asked: list[str] | None = None) -> RoeClient:
    """A client answered by the loopback server's routes, in process (no socket); each request's
    path and query go to `asked`."""

    def handler(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        if asked is not None:
            asked.append(target)
        status, payload = server.route(request.method, target, request.content)
        body = payload.body if hasattr(payload, "body") else json.dumps(payload).encode()
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return mock_client(handler, base_url=BASE_URL)


def test_a_plan_loads_exactly_what_from_agent_loads() -> None:
    server = LoopbackServer(ServerConfig(listed_jobs=300, outputs=3, failed_ids=job_ids(3)[1:]))
    client = route_client(server)
    plan = plan_partitions(LISTED_AGENT_ID, partitions=7, client=client)
    assert 4 <= len(plan) <= 14
    loaded = [d for partition in plan for d in load_partition(partition, client=client)]
    whole = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client).load()
    assert len(whole) == 298 * 3
    assert loaded == whole  # same Documents, same order: windows run oldest first


def test_a_chunk_loads_its_ids() -> None:
    server = LoopbackServer(ServerConfig(outputs=2))
    client = route_client(server)
    plan = plan_partitions(job_ids=job_ids(30), partitions=3)
    loaded = [d for partition in plan for d in load_partition(partition, client=client)]
    assert loaded == RoeAgentJobResultLoader(job_ids(30), client=client).load()


def test_a_bad_option_or_both_client_and_settings_are_refused() -> None:
    client = route_client(LoopbackServer(ServerConfig()))
    (chunk,) = plan_partitions(job_ids=job_ids(2))
    with pytest.raises(ValueError, match="batch_size"):
        load_partition(chunk, client=client, batch_size=5000)
    with pytest.raises(ValueError, match="not both"):
        load_partition(chunk, client=client, api_key="other")


def test_a_process_keeps_one_client_per_settings_and_reads_the_rest_from_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROE_API_KEY", "key-from-the-workers-environment")
    first = process_client({"base_url": "http://127.0.0.1:9"})
    assert process_client({"base_url": "http://127.0.0.1:9", "timeout": None}) is first
    assert first.settings.require_api_key() == "key-from-the-workers-environment"
    assert process_client({"base_url": "http://127.0.0.1:8"}) is not first


def test_what_a_read_task_carries_never_shows_the_key() -> None:
    given = carried_settings(None, {"api_key": "sk-carried-0123", "base_url": BASE_URL})
    assert "sk-carried-0123" not in repr(given)
    assert "sk-carried-0123" not in repr(pickle.loads(pickle.dumps(given)))
    assert "api_key" not in carried_settings(None, {"base_url": BASE_URL})  # the worker's own
    client = RoeClient(api_key="sk-client-0123", base_url=BASE_URL)
    carried = carried_settings(client, {})
    assert "sk-client-0123" not in repr(carried)
    assert process_client(carried).settings == client.settings


def test_partitions_pickle() -> None:
    table = table_of(EPOCH + timedelta(minutes=n) for n in range(10))
    client, _ = listing_client(table)
    plan = plan_partitions(LISTED_AGENT_ID, metadata={"a": "b"}, client=client)
    plan += plan_partitions(job_ids=job_ids(3))
    assert pickle.loads(pickle.dumps(plan)) == plan


# Rows and back.

DOCUMENTS = [
    Document(id="a", page_content="first", metadata={"cost": 1, "key": "out0", "corrected": True}),
    Document(id="b", page_content="second", metadata={"cost": 0.5, "job_metadata_customer": "c1"}),
    Document(id="c", page_content="", metadata={}),
]


def test_rows_keep_every_key_and_type_in_one_metadata_column() -> None:
    rows = document_rows(DOCUMENTS)
    assert list(rows) == ["id", "page_content", "metadata"]
    table = pa.Table.from_pydict(rows)
    assert documents_from_rows(table) == DOCUMENTS
    assert documents_from_rows(table.to_pandas()) == DOCUMENTS
    numpy_batch = {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}
    assert documents_from_rows(numpy_batch) == DOCUMENTS
    assert documents_from_rows(table.to_pylist()) == DOCUMENTS
    assert documents_from_rows(DOCUMENTS[:0]) == []


def test_flat_columns_would_lose_keys_and_clash_on_types() -> None:
    # The evidence for one metadata column: what flat columns do to the same Documents.
    flat = [{"id": d.id, "page_content": d.page_content, **d.metadata} for d in DOCUMENTS]
    assert "job_metadata_customer" not in pa.Table.from_pylist(flat).column_names
    one, two = (pa.Table.from_pylist([row]) for row in flat[:2])
    assert one.schema.field("cost").type != two.schema.field("cost").type  # int64 vs double


def test_row_batches_cut_blocks_by_rows() -> None:
    many = [Document(id=str(n), page_content="x") for n in range(10_000)]
    sizes = [len(batch["id"]) for batch in row_batches(many)]
    assert sizes == [4096, 4096, 1808]


def test_the_ray_module_imports_no_ray_until_the_dataset_is_named() -> None:
    code = (
        "import sys, langchain_roe.ray as r\n"
        "assert 'ray' not in sys.modules and 'pyarrow' not in sys.modules\n"
        "r.plan_partitions\n"
        "sys.modules['ray'] = None\n"  # as if the extra were not installed
        "try:\n    r.read_roe_jobs\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'langchain-roe[ray]'" in out.stdout


def test_the_core_never_imports_ray() -> None:
    code = (
        "import pkgutil, importlib, sys, langchain_roe._core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('langchain_roe._core.' + m.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ray', 'pyarrow')"
        " or m.startswith('langchain_roe.ray')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "query",
    [
        "page_size=1&ordering=created_at",
        "page_size=1&ordering=-created_at",
        "page_size=1&created_from=2026-11-02T09:30:00%2B00:00&created_to=2026-11-02T10:00:00Z",
        "page_size=7&page=3&ordering=created_at,id&created_to=2026-11-02T10:00:00Z",
    ],
)
def test_an_indexed_listing_answers_as_the_table_does(query: str) -> None:
    # The benchmark's million-job listing answers from the index; both must agree.
    times = [EPOCH + timedelta(minutes=n // 3) for n in range(200)]  # three jobs a minute
    plain, indexed = table_of(times), table_of(times)
    indexed.index()
    path = f"/v1/agents/{LISTED_AGENT_ID}/jobs/"
    assert indexed.answer(BASE_URL, path, query) == plain.answer(BASE_URL, path, query)


def test_a_status_filter_sizes_the_windows_and_reaches_the_load() -> None:
    failed = job_ids(40)[::4]
    server = LoopbackServer(ServerConfig(listed_jobs=40, outputs=1, failed_ids=failed))
    asked: list[str] = []
    client = route_client(server, asked)
    plan = plan_partitions(
        LISTED_AGENT_ID, status=AgentJobStatusCode.SUCCESS, partitions=3, client=client
    )
    assert sum(w.listed for w in windows(plan)) == 30
    loaded = [d for partition in plan for d in load_partition(partition, client=client)]
    assert len(loaded) == 30
    listings = [target for target in asked if "/jobs/?" in target]
    assert listings
    assert all("status_code=3" in line for line in listings)
