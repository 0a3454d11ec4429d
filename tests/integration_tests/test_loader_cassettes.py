"""RoeAgentJobResultLoader against recorded sessions, sync and async from one test body."""

from __future__ import annotations

import json
import logging

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager, index
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_roe import (
    AgentJobStatusCode,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    RoeAgentJobResultLoader,
    RoeClient,
)
from langchain_roe._core._waiting import POLL_BACKOFF, POLL_INITIAL_DELAY
from tests.conftest import Invoke
from tests.support import example_jobs as jobs
from tests.support.cassettes import replay

MANY = [jobs.WEB, jobs.DOCS, jobs.PDF, jobs.MULTIMODAL, jobs.AML, jobs.CACHED]


@pytest.fixture
def client() -> RoeClient:
    return RoeClient(api_key="replayed-key-filtered-from-cassettes")


def source(agent_job_id: str) -> str:
    return f"https://api.roe-ai.com/v1/agents/jobs/{agent_job_id}/result/"


@pytest.mark.vcr("loader_one_job.yaml")
def test_one_job(client: RoeClient, invoke: Invoke) -> None:
    loader = RoeAgentJobResultLoader(jobs.WEB.upper(), client=client)
    [document] = invoke(loader.load)
    output = jobs.payload("result_web_insights_references")["outputs"][0]
    assert json.loads(document.page_content) == json.loads(output["value"])
    assert document.page_content.startswith('{\n  "company_name": "Roe AI",')
    assert document.metadata["source"] == source(jobs.WEB)
    assert document.metadata["status"] == "SUCCESS"
    assert document.metadata["cost"] == output["cost"]
    assert loader.failures == {}


@pytest.mark.vcr("loader_many_jobs.yaml")
def test_many_jobs_in_order(client: RoeClient, invoke: Invoke) -> None:
    documents = invoke(RoeAgentJobResultLoader(MANY, client=client).load)
    assert [d.metadata["agent_job_id"] for d in documents] == MANY
    assert len({d.id for d in documents}) == len(documents)
    cached = documents[-1]
    assert cached.metadata["status"] == "CACHED"
    assert "corrected" not in cached.metadata


@pytest.mark.vcr("loader_mixed_batch.yaml")
def test_mixed_batch_continues_and_names_each_failure(
    client: RoeClient, invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [jobs.WEB, jobs.CACHED, jobs.FAILED, jobs.UNKNOWN]
    loader = RoeAgentJobResultLoader(
        ids, client=client, continue_on_failure=True, prefer_corrected_outputs=True
    )
    with caplog.at_level(logging.WARNING, logger="langchain_roe"):
        documents = invoke(loader.load)
    assert [d.metadata["agent_job_id"] for d in documents] == [jobs.WEB, jobs.CACHED]
    corrected = documents[1]
    assert corrected.metadata["corrected"] is True
    assert (
        json.loads(corrected.page_content)["reasoning"]
        == "Reviewer confirmed serial number mismatch."
    )
    assert list(loader.failures) == [jobs.FAILED, jobs.UNKNOWN]
    failed = loader.failures[jobs.FAILED]
    assert isinstance(failed, JobFailedError)
    assert failed.error_message == "Failed to load URL"
    assert isinstance(loader.failures[jobs.UNKNOWN], NotFoundError)
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert f"skipped agent job {jobs.FAILED}" in warned
    assert "Failed to load URL" in warned
    assert f"skipped agent job {jobs.UNKNOWN}" in warned


@pytest.mark.vcr("loader_mixed_batch.yaml")
def test_mixed_batch_raises_the_first_failure_by_default(client: RoeClient, invoke: Invoke) -> None:
    loader = RoeAgentJobResultLoader(
        [jobs.WEB, jobs.CACHED, jobs.FAILED, jobs.UNKNOWN], client=client
    )
    with pytest.raises(JobFailedError, match="Failed to load URL") as caught:
        invoke(loader.load)
    assert caught.value.agent_job_id == jobs.FAILED


@pytest.mark.vcr("loader_unfinished.yaml")
def test_unfinished_job_is_named(client: RoeClient, invoke: Invoke) -> None:
    with pytest.raises(JobNotFinishedError, match="STARTED") as caught:
        invoke(RoeAgentJobResultLoader(jobs.RUNNING, client=client).load)
    assert caught.value.agent_job_id == jobs.RUNNING
    assert caught.value.status is AgentJobStatusCode.STARTED


@pytest.mark.parametrize(
    ("cassette", "batch", "polls"),
    [
        ("loader_wait.yaml", True, 3),  # PENDING, STARTED, SUCCESS
        ("loader_per_job_wait.yaml", False, 2),  # GET result's own status check saw PENDING
    ],
)
def test_waiting_loads_the_job_once_it_finishes(
    client: RoeClient,
    invoke: Invoke,
    retry_sleeps: list[float],
    cassette: str,
    batch: bool,
    polls: int,
) -> None:
    loader = RoeAgentJobResultLoader(
        jobs.WAITING, client=client, wait_for_completion=True, use_batch_endpoint=batch
    )
    with replay(cassette):
        [document] = invoke(loader.load)
    assert json.loads(document.page_content)["name"] == "Jane Doe"
    assert len(retry_sleeps) == polls
    for n, delay in enumerate(retry_sleeps):  # the poll schedule, with its 20% jitter
        expected = POLL_INITIAL_DELAY * POLL_BACKOFF**n
        assert 0.8 * expected <= delay <= 1.2 * expected


@pytest.mark.vcr("loader_per_job.yaml")
def test_per_job_path_matches_the_batch_path(client: RoeClient, invoke: Invoke) -> None:
    per_job = invoke(RoeAgentJobResultLoader(MANY, client=client, use_batch_endpoint=False).load)
    with replay("loader_many_jobs.yaml"):
        batch = RoeAgentJobResultLoader(MANY, client=client).load()
    assert [d.id for d in per_job] == [d.id for d in batch]
    for single, batched in zip(per_job, batch, strict=True):
        assert single.page_content == batched.page_content
        assert single.metadata == {k: v for k, v in batched.metadata.items() if k != "status"}


@pytest.mark.vcr("loader_per_job_mixed.yaml")
def test_per_job_path_failures(client: RoeClient, invoke: Invoke) -> None:
    ids = [jobs.WEB, jobs.FAILED, jobs.UNKNOWN, jobs.RUNNING]
    loader = RoeAgentJobResultLoader(
        ids, client=client, use_batch_endpoint=False, continue_on_failure=True
    )
    documents = invoke(loader.load)
    assert [d.metadata["agent_job_id"] for d in documents] == [jobs.WEB]
    assert {k: type(v) for k, v in loader.failures.items()} == {
        jobs.FAILED: JobFailedError,
        jobs.UNKNOWN: NotFoundError,
        jobs.RUNNING: JobNotFinishedError,
    }


def test_loading_twice_into_a_vector_store_adds_no_duplicates(client: RoeClient) -> None:
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
    loads: list[list[Document]] = []
    for _ in range(2):
        with replay("loader_many_jobs.yaml"):
            loads.append(RoeAgentJobResultLoader(MANY, client=client).load())
        store.add_documents(loads[-1])
    assert len(store.store) == len(loads[0]) == 6
    assert set(store.store) == {d.id for d in loads[0]} == {d.id for d in loads[1]}


def test_the_indexing_api_adds_nothing_on_the_second_run(client: RoeClient) -> None:
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
    records = InMemoryRecordManager(namespace="roe")
    records.create_schema()
    runs = []
    for _ in range(2):
        with replay("loader_many_jobs.yaml"):
            loader = RoeAgentJobResultLoader(MANY, client=client)
            runs.append(
                index(
                    loader,
                    records,
                    store,
                    cleanup="incremental",
                    source_id_key="source",
                    key_encoder="sha256",
                )
            )
    first, second = runs
    assert first["num_added"] == 6
    assert (second["num_added"], second["num_updated"], second["num_deleted"]) == (0, 0, 0)
    assert second["num_skipped"] == 6
