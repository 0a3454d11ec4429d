"""`read_roe_jobs` on a local Ray: exact through 503s, dropped connections and a dead worker.

The server is the loopback one in its own process (vcrpy cannot reach Ray's workers), 5,000 listed
jobs of 4 outputs, answering 10% of requests with a 503 and dropping 5% of connections unanswered.
Every check compares the Dataset's rows with what `RoeAgentJobResultLoader.from_agent` loads from
the same server in this process: the same 20,000 Documents, each once.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import ray.data
from langchain_core.documents import Document
from ray.data.datasource import ReadTask

from langchain_roe import RoeAgentJobResultLoader
from langchain_roe.ray import JobWindow, RoeJobsDatasource, documents_from_rows, read_roe_jobs
from tests.support.local_ray import LocalRay
from tests.support.loopback import LISTED_AGENT_ID, ServerConfig, job_ids, subprocess_server

pytestmark = [
    pytest.mark.ray,
    pytest.mark.enable_socket,
    pytest.mark.allow_hosts(["127.0.0.1"]),
    pytest.mark.timeout(300),  # the session's Ray starts inside the first test: 15 to 60 s
]

KEY = "ray-loopback-key"
JOBS, OUTPUTS = 5000, 4
FAULTY = ServerConfig(listed_jobs=JOBS, outputs=OUTPUTS, server_errors=0.1, drops=0.05)
#: Enough retries that 60-odd requests each failing 15% of the time all get through.
SETTINGS: dict[str, Any] = {"api_key": KEY, "max_retries": 8}


@pytest.fixture(scope="module")
def faulty(ray_session: LocalRay) -> Iterator[tuple[str, list[Document]]]:
    """The faulty server's URL, and what one loader in this process loads from it."""
    with subprocess_server(FAULTY) as base_url:
        loader = RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, base_url=base_url, page_size=1000, **SETTINGS
        )
        yield base_url, sorted(loader.load(), key=by_id)
        assert ray_session.workers_base_url != base_url


def by_id(document: Document) -> str:
    return document.id or ""


def documents(rows: Iterable[Any]) -> list[Document]:
    return sorted(documents_from_rows(list(rows)), key=by_id)


def test_5000_jobs_make_exactly_20000_rows_through_faults(
    faulty: tuple[str, list[Document]],
) -> None:
    base_url, expected = faulty
    assert len(expected) == JOBS * OUTPUTS
    dataset = read_roe_jobs(LISTED_AGENT_ID, base_url=base_url, override_num_blocks=4, **SETTINGS)
    rows = dataset.take_all()
    assert len(rows) == JOBS * OUTPUTS
    assert len({row["id"] for row in rows}) == JOBS * OUTPUTS
    assert documents(rows) == expected
    assert dataset.columns() == ["id", "page_content", "metadata"]


def test_a_read_task_whose_worker_dies_mid_read_is_retried_and_still_exact(
    faulty: tuple[str, list[Document]], tmp_path: Path
) -> None:
    base_url, expected = faulty
    marker = tmp_path / "died"
    source = DiesOnce(str(marker), LISTED_AGENT_ID, base_url=base_url, **SETTINGS)
    rows = ray.data.read_datasource(source, override_num_blocks=4).take_all()
    assert marker.exists()  # the worker did die, after handing Ray its first block
    assert source.plan is not None
    assert len(source.plan) == 4
    assert len(rows) == JOBS * OUTPUTS
    assert documents(rows) == expected


class DiesOnce(RoeJobsDatasource):
    """The first read task's worker exits (as if killed) after its first block, once."""

    def __init__(self, marker: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_partition_jobs=1, **kwargs)
        self.marker = marker

    def get_read_tasks(self, parallelism: int, *args: Any, **kwargs: Any) -> list[ReadTask]:
        tasks = super().get_read_tasks(parallelism, *args, **kwargs)
        first = tasks[0]
        tasks[0] = ReadTask(
            functools.partial(die_once_after_a_block, first.read_fn, self.marker),
            first.metadata,
            schema=first.schema,
        )
        return tasks


def die_once_after_a_block(read: Callable[[], Iterable[Any]], marker: str) -> Iterator[Any]:
    for block in read():
        yield block
        if not os.path.exists(marker):
            Path(marker).touch()
            os._exit(1)  # no cleanup, no exception: the process is gone


def test_explicit_ids_read_once_each_and_batches_turn_back_into_documents(
    faulty: tuple[str, list[Document]],
) -> None:
    base_url, expected = faulty
    ids = job_ids(1500)
    dataset = read_roe_jobs(job_ids=[*ids, *ids[:10]], base_url=base_url, **SETTINGS)

    def jobs_of(batch: dict[str, Any]) -> dict[str, list[str]]:
        found = documents_from_rows(batch)  # inside a worker, as an embedding step would
        return {"agent_job_id": [str(d.metadata["agent_job_id"]) for d in found]}

    seen = [row["agent_job_id"] for row in dataset.map_batches(jobs_of).take_all()]
    assert sorted(seen) == sorted(i for i in ids for _ in range(OUTPUTS))
    by_job = {d.id for d in expected if d.metadata["agent_job_id"] in set(ids)}
    assert {d.id for d in documents(dataset.take_all())} == by_job


def test_a_window_with_no_jobs_is_an_empty_dataset_of_the_same_columns(
    faulty: tuple[str, list[Document]],
) -> None:
    base_url, _ = faulty
    dataset = read_roe_jobs(
        LISTED_AGENT_ID, created_from="2030-01-01T00:00:00Z", base_url=base_url, **SETTINGS
    )
    assert dataset.take_all() == []
    schema = dataset.schema()
    assert schema is not None
    assert list(schema.names) == ["id", "page_content", "metadata"]


def test_the_plan_is_made_once_and_kept(faulty: tuple[str, list[Document]]) -> None:
    base_url, _ = faulty
    source = RoeJobsDatasource(LISTED_AGENT_ID, base_url=base_url, **SETTINGS)
    first = source.planned(200)  # as Ray's own choice might be: at least 1,000 jobs a task
    assert len(first) == 5
    assert all(isinstance(p, JobWindow) for p in first)
    assert source.planned(3) is first
