"""References through faults: each cited file's Document exactly once, none lost, none doubled.

The loopback server fails 10% of requests with 503, drops 5% and answers 3% with 429; reference
reads are reads, retried until they answer. 200 jobs cite 3 text references each.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from langchain_core.documents import Document

from langchain_roe import RoeAgentJobResultLoader, RoeClient
from tests.support.loopback import LoopbackServer, ServerConfig, job_ids
from tests.support.references import content

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOBS = 200
FAULTS = ServerConfig(
    outputs=1,
    value_bytes=40,
    references=4,  # md, html, png (skipped unasked), json
    reference_bytes=120,
    server_errors=0.10,
    drops=0.05,
    rate_limits=0.03,
    seed=5,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(FAULTS) as running:
        yield running


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_reference_loads_exactly_once_through_faults(
    server: LoopbackServer, mode: str
) -> None:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url, max_retries=10, timeout=5)
    ids = job_ids(JOBS)
    loader = RoeAgentJobResultLoader(
        ids, client=client, load_references=True, batch_size=50, max_concurrency=4
    )
    if mode == "sync":
        documents = list(loader.lazy_load())
    else:

        async def load() -> list[Document]:
            return [document async for document in loader.alazy_load()]

        documents = asyncio.run(load())
    cited = [d for d in documents if d.metadata.get("reference")]
    per_reference = Counter((d.metadata["agent_job_id"], d.metadata["resource_id"]) for d in cited)
    expected = {
        (i, f"{n}-{i[:8]}.{ext}") for i in ids for n, ext in ((0, "md"), (1, "html"), (3, "json"))
    }
    assert set(per_reference) == expected  # none lost
    assert set(per_reference.values()) == {1}  # none doubled
    for document in cited[:: len(cited) // 7]:
        job, name = document.metadata["agent_job_id"], document.metadata["resource_id"]
        assert document.page_content == content(job, name, 120).decode()
    assert len(documents) == JOBS * (1 + 3)  # each job: its output, then its three references
    assert loader.failures == {}
