"""Every option of the Ray reader, seen where it is consumed: planning, loading, the datasource.

`plan_partitions` and `load_partition` need no Ray; `RoeJobsDatasource` is built and its read
tasks run here, in this process, without starting Ray (what `read_roe_jobs` hands Ray is the same
datasource). What reaches the loopback server (each listing request's filters, the batch bodies:
`tests/support/wire.py`) or the partitions and rows that come back are what is asserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from langchain_roe import AgentJobStatusCode, JobFailedError
from langchain_roe.ray import JobChunk, JobWindow, Partition, load_partition, plan_partitions
from tests.support.listing import EPOCH
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.wire import Sent, loopback_client, sent

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOBS = 20
IDS = job_ids(JOBS)
FAILED, CORRECTED = IDS[6], IDS[2]
LISTING = f"/v1/agents/{LISTED_AGENT_ID}/jobs/"
RESULTS = "/v1/agents/jobs/results/"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    config = ServerConfig(
        listed_jobs=JOBS, outputs=2, failed_ids=[FAILED], corrected_ids=[CORRECTED]
    )
    with LoopbackServer(config) as running:
        yield running


def listings(server: LoopbackServer) -> list[Sent]:
    return [s for s in sent(server) if s.path == LISTING]


def batches(server: LoopbackServer) -> list[list[str]]:
    return [s.json()["job_ids"] for s in sent(server) if s.path == RESULTS]


def windows(plan: list[Partition]) -> list[JobWindow]:
    assert all(isinstance(p, JobWindow) for p in plan)
    return [p for p in plan if isinstance(p, JobWindow)]


def minute(n: int) -> str:
    return (EPOCH + timedelta(minutes=n)).isoformat()


# option -> (value, the query parameter every listing request must carry, positions it keeps)
FILTERS: dict[str, tuple[Any, tuple[str, str], list[int]]] = {
    "created_from": (minute(15), ("created_from", minute(15)), [15, 16, 17, 18, 19]),
    "created_to": (minute(3), ("created_to", minute(3)), [0, 1, 2, 3]),
    "version_name": ("version 2", ("version_name", "version 2"), [0, 4, 8, 12, 16]),
    "metadata": ({"customer": "c3"}, ("metadata", '{"customer":"c3"}'), [3, 8, 13, 18]),
    "search": ("customer c4", ("search", "customer c4"), [4, 9, 14, 19]),
    "status": (AgentJobStatusCode.FAILURE, ("status_code", "4"), [6]),
}


@pytest.mark.parametrize("option", sorted(FILTERS))
def test_each_filter_reaches_planning_and_loading(server: LoopbackServer, option: str) -> None:
    value, (param, sent_value), positions = FILTERS[option]
    plan = plan_partitions(LISTED_AGENT_ID, client=loopback_client(server), **{option: value})
    planning = listings(server)
    assert planning
    for request in planning:  # the bounds and every count
        assert request.param(param) == sent_value, request.query
    server.received.clear()
    documents = [d for p in plan for d in load_partition(p, client=loopback_client(server))]
    loading = listings(server)
    assert loading
    for request in loading:
        assert request.param(param) == sent_value, request.query
        assert request.param("page_size") == "1000"
    expected = [IDS[n] for n in positions if IDS[n] != FAILED]
    assert list(dict.fromkeys(d.metadata["agent_job_id"] for d in documents)) == expected


@pytest.mark.parametrize("only_succeeded", [True, False])
def test_only_succeeded_travels_in_the_window(server: LoopbackServer, only_succeeded: bool) -> None:
    plan = plan_partitions(
        LISTED_AGENT_ID, client=loopback_client(server), only_succeeded=only_succeeded
    )
    assert {w.finding.only_succeeded for w in windows(plan)} == {only_succeeded}
    server.received.clear()
    loaded = [
        d
        for p in plan
        for d in load_partition(p, client=loopback_client(server), continue_on_failure=True)
    ]
    asked = sorted(i for ids in batches(server) for i in ids)
    assert asked == sorted(IDS if not only_succeeded else [i for i in IDS if i != FAILED])
    assert FAILED not in {d.metadata["agent_job_id"] for d in loaded}


@pytest.mark.parametrize(
    ("options", "sizes"),
    [
        ({}, [20]),
        ({"partitions": 4}, [5, 5, 5, 5]),
        ({"partitions": 3}, [7, 7, 6]),
        ({"max_partition_jobs": 8}, [8, 8, 4]),
        ({"partitions": 10, "min_partition_jobs": 6}, [6, 6, 6, 2]),
        ({"partitions": 4, "max_partition_jobs": 3}, [3, 3, 3, 3, 3, 3, 2]),
    ],
)
def test_partition_sizes_for_ids(options: dict[str, Any], sizes: list[int]) -> None:
    plan = plan_partitions(job_ids=IDS, **options)
    assert all(isinstance(p, JobChunk) for p in plan)
    chunks = [p.agent_job_ids for p in plan if isinstance(p, JobChunk)]
    assert [len(c) for c in chunks] == sizes
    assert [i for c in chunks for i in c] == IDS  # in order, each once


def test_ids_are_never_more_than_one_batch() -> None:
    many = job_ids(2500, start=1000)
    plan = plan_partitions(job_ids=many, max_partition_jobs=5000)
    assert [len(p.agent_job_ids) for p in plan if isinstance(p, JobChunk)] == [1000, 1000, 500]


@pytest.mark.parametrize(
    ("options", "sizes"),
    [
        ({}, [20]),
        ({"partitions": 4}, [5, 5, 5, 5]),
        ({"max_partition_jobs": 10}, [10, 10]),
        ({"partitions": 10, "min_partition_jobs": 7}, [7, 7, 6]),
    ],
)
def test_partition_sizes_for_windows(
    server: LoopbackServer, options: dict[str, Any], sizes: list[int]
) -> None:
    plan = windows(plan_partitions(LISTED_AGENT_ID, client=loopback_client(server), **options))
    assert sorted(w.listed for w in plan) == sorted(sizes)  # cut by time: the order may differ
    assert (plan[0].created_from, plan[-1].created_to) == (EPOCH, EPOCH + timedelta(minutes=19))


@pytest.mark.parametrize(
    "options",
    [
        {"partitions": 0},
        {"min_partition_jobs": 0},
        {"min_partition_jobs": 5, "max_partition_jobs": 4},
    ],
)
def test_partition_sizes_out_of_range_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="partition"):
        plan_partitions(job_ids=IDS, **options)


def test_filters_with_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="apply to agent_id"):
        plan_partitions(job_ids=IDS, search="x")


def test_load_partition_passes_the_loaders_options(server: LoopbackServer) -> None:
    chunk = JobChunk(tuple(IDS[:5]))
    documents = list(
        load_partition(
            chunk,
            client=loopback_client(server),
            batch_size=2,
            output_keys=["out1"],
            prefer_corrected_outputs=True,
            continue_on_failure=True,
        )
    )
    assert sorted(batches(server)) == [IDS[0:2], IDS[2:4], IDS[4:5]]
    assert {d.metadata["key"] for d in documents} == {"out1"}
    assert len(documents) == 5
    window = windows(plan_partitions(LISTED_AGENT_ID, client=loopback_client(server)))[0]
    server.received.clear()
    first_out0 = [
        d
        for d in load_partition(
            window, client=loopback_client(server), prefer_corrected_outputs=True
        )
        if d.metadata["agent_job_id"] == CORRECTED and d.metadata["key"] == "out0"
    ]
    assert json.loads(first_out0[0].page_content)["corrected"] is True


@pytest.mark.parametrize("continue_on_failure", [False, True])
def test_load_partition_continue_on_failure(
    server: LoopbackServer, continue_on_failure: bool
) -> None:
    chunk = JobChunk((IDS[0], FAILED))
    loading = load_partition(
        chunk, client=loopback_client(server), continue_on_failure=continue_on_failure
    )
    if continue_on_failure:
        assert {d.metadata["agent_job_id"] for d in loading} == {IDS[0]}
    else:
        with pytest.raises(JobFailedError):
            list(loading)


# RoeJobsDatasource: what read_roe_jobs hands Ray, its read tasks run here, Ray not started.


def test_the_datasource_routes_filters_options_and_settings(server: LoopbackServer) -> None:
    from langchain_roe.ray import RoeJobsDatasource

    datasource = RoeJobsDatasource(
        LISTED_AGENT_ID,
        api_key="datasource-key",
        base_url=server.base_url,
        search="customer c1",
        version_name="version 3",
        batch_size=1,
        output_keys=["out0"],
        min_partition_jobs=1,
        max_partition_jobs=2,
    )
    tasks = datasource.get_read_tasks(1)
    plan = windows(datasource.plan or [])
    assert [w.listed for w in plan] == [2, 1]  # positions 1, 6 and 11, in windows of two
    rows = [row for task in tasks for table in task.read_fn() for row in table.to_pylist()]
    jobs = [json.loads(row["metadata"])["agent_job_id"] for row in rows]
    assert jobs == [IDS[1], IDS[11]]  # 6 failed: the listing shows it, only_succeeded skips it
    assert {json.loads(row["metadata"])["key"] for row in rows} == {"out0"}
    for request in sent(server):
        assert request.headers["authorization"] == "Bearer datasource-key"
        if request.path == LISTING:
            assert request.param("search") == "customer c1"
            assert request.param("version_name") == "version 3"
    assert all(len(ids) == 1 for ids in batches(server))


def test_read_roe_jobs_hands_ray_each_option(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `read_roe_jobs` gives Ray, caught at Ray's door (Ray is not started)."""
    import ray.data

    from langchain_roe.ray import read_roe_jobs

    handed: list[tuple[Any, dict[str, Any]]] = []

    def read_datasource(datasource: Any, **kwargs: Any) -> Any:
        handed.append((datasource, kwargs))
        return "dataset"

    monkeypatch.setattr(ray.data, "read_datasource", read_datasource)
    remote = {"num_cpus": 0.5}
    dataset = read_roe_jobs(
        LISTED_AGENT_ID,
        client=loopback_client(server),
        created_to=minute(9),
        search="customer c2",
        override_num_blocks=2,
        concurrency=3,
        ray_remote_args=remote,
        max_partition_jobs=5,
        batch_size=1,
    )
    assert dataset == "dataset"  # type: ignore[comparison-overlap]
    ((datasource, kwargs),) = handed
    assert kwargs == {"override_num_blocks": 2, "concurrency": 3, "ray_remote_args": remote}
    tasks = datasource.get_read_tasks(2)
    assert [w.listed for w in windows(datasource.plan)] == [1, 1]  # positions 2 and 7, one each
    planning = listings(server)
    assert planning[0].param("created_to") == minute(
        9
    )  # the bounds; the counts' windows lie inside
    for request in planning:
        assert request.param("search") == "customer c2"
    server.received.clear()
    rows = [row for task in tasks for table in task.read_fn() for row in table.to_pylist()]
    assert {json.loads(row["metadata"])["agent_job_id"] for row in rows} == {IDS[2], IDS[7]}
    assert sorted(batches(server)) == [[IDS[2]], [IDS[7]]]


def test_read_roe_jobs_leaves_ray_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    import ray.data

    from langchain_roe.ray import read_roe_jobs

    handed: list[dict[str, Any]] = []

    def read_datasource(datasource: Any, **kwargs: Any) -> None:
        handed.append(kwargs)

    monkeypatch.setattr(ray.data, "read_datasource", read_datasource)
    read_roe_jobs(job_ids=IDS, api_key="k")
    assert handed == [{"override_num_blocks": None}]
