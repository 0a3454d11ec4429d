"""An agent's jobs listed through faults: every job's Documents exactly once, none lost or doubled.

The loopback server lists 5,000 jobs 100 per page and fails 10% of all requests with 503, drops 5%
and answers 3% with 429 (`Retry-After: 1`, on the suite's fake clock). Listing pages and batch
reads are reads: each is retried until it answers, so the load must come out whole.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from langchain_core.documents import Document

from langchain_roe import RoeAgentJobResultLoader, RoeClient
from tests.support.loopback import (
    LISTED_AGENT_ID,
    LoopbackServer,
    ServerConfig,
    job_ids,
    synthetic_outputs,
)

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOBS = 5_000
FAULTS = ServerConfig(
    listed_jobs=JOBS,
    outputs=2,
    value_bytes=40,
    server_errors=0.10,
    drops=0.05,
    rate_limits=0.03,
    seed=11,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(FAULTS) as running:
        yield running


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_listed_job_loads_exactly_once_through_faults(
    server: LoopbackServer, mode: str
) -> None:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url, max_retries=10, timeout=5)
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=client, page_size=100, batch_size=250, max_concurrency=4
    )
    if mode == "sync":
        documents = list(loader.lazy_load())
    else:

        async def load() -> list[Document]:
            return [document async for document in loader.alazy_load()]

        documents = asyncio.run(load())

    expected = job_ids(JOBS)
    per_job = Counter(d.metadata["agent_job_id"] for d in documents)
    assert set(per_job) == set(expected)  # none lost
    assert set(per_job.values()) == {2}  # none doubled: two outputs each, once
    assert len({d.id for d in documents}) == 2 * JOBS
    assert [d.metadata["agent_job_id"] for d in documents[::2]] == expected  # listing order kept
    outputs = synthetic_outputs(expected[4321], 2, 40)
    job = [d for d in documents if d.metadata["agent_job_id"] == expected[4321]]
    assert [d.metadata["key"] for d in job] == [o["key"] for o in outputs]
    assert server.listing.requests >= JOBS // 100  # 50 pages, plus the retried ones
    assert loader.failures == {}
