"""`RoeAgentRunLoader` against the loopback server: runs, order, files, failures, nothing twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_roe import (
    JobFailedError,
    RoeAgentJobResultLoader,
    RoeAgentRunLoader,
    RoeClient,
    RunOutcomeUnknownError,
)
from tests.support.agents import AGENT_ID, FAILING_QUESTION
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def inputs(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"url": f"https://example.com/{n}", "question": f"q{n}", **extra} for n in range(count)]


@pytest.fixture
def server() -> Any:
    with LoopbackServer(ServerConfig(outputs=2)) as running:
        yield running


def client_for(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_text_inputs_run_in_chunks_and_load_in_input_order(
    server: LoopbackServer, mode: str
) -> None:
    loader = RoeAgentRunLoader(AGENT_ID, inputs(5), client=client_for(server), batch_size=2)
    documents = loader.load() if mode == "sync" else asyncio.run(loader.aload())
    assert [d.metadata["input_index"] for d in documents] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert server.runs.created == 5
    assert len(server.runs.keys) == 0  # no single runs: three many-inputs requests
    jobs = list(dict.fromkeys(d.metadata["agent_job_id"] for d in documents))
    same = RoeAgentJobResultLoader(jobs, client=client_for(server)).load()
    for made, read in zip(documents, same, strict=True):  # exactly the result loader's Documents
        assert made.id == read.id
        assert made.page_content == read.page_content
        assert {k: v for k, v in made.metadata.items() if k != "input_index"} == read.metadata


def test_inputs_with_files_are_single_runs_under_their_own_keys(
    server: LoopbackServer, tmp_path: Path
) -> None:
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    given: list[dict[str, Any]] = [
        {"url": pdf, "question": "q0"},
        {"url": "https://x", "question": "q1"},
    ]
    documents = RoeAgentRunLoader(AGENT_ID, given, client=client_for(server)).load()
    assert sorted({d.metadata["input_index"] for d in documents}) == [0, 1]
    assert server.runs.created == 2
    assert len(server.runs.keys) == 2
    uploaded = [job.inputs["url"] for job in server.runs.jobs.values()]
    assert "file:page.pdf:8" in uploaded


def test_an_input_whose_job_fails_is_named_by_its_position(server: LoopbackServer) -> None:
    given = inputs(3)
    given[1]["question"] = FAILING_QUESTION
    loader = RoeAgentRunLoader(AGENT_ID, given, client=client_for(server), continue_on_failure=True)
    documents = loader.load()
    assert sorted({d.metadata["input_index"] for d in documents}) == [0, 2]
    assert list(loader.failures) == [1]
    assert isinstance(loader.failures[1], JobFailedError)
    with pytest.raises(JobFailedError):
        RoeAgentRunLoader(AGENT_ID, given, client=client_for(server)).load()


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ([], "inputs is empty"),
        ({"url": "x"}, "sequence of input mappings"),
        ([{"url": "x"}, {}], r"inputs\[1\] must be a non-empty mapping"),
        ([{"url": 3}], "must be text"),
        ([{"url": Path("/no/such/file.pdf")}], "is not a readable file"),
    ],
)
def test_bad_inputs_fail_before_any_request(
    server: LoopbackServer, given: Any, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        RoeAgentRunLoader(AGENT_ID, given, client=client_for(server))
    assert server.requests == 0


def test_a_chunk_whose_outcome_is_unknown_fails_its_inputs_and_is_not_repeated() -> None:
    many = "/async/many/"

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(many):
            raise httpx.ReadError("dropped after the request was sent")
        return json_response(200, [])

    script = Script([respond])
    loader = RoeAgentRunLoader(
        AGENT_ID, inputs(3), client=mock_client(script), continue_on_failure=True
    )
    assert loader.load() == []
    assert sorted(loader.failures) == [0, 1, 2]
    assert all(isinstance(e, RunOutcomeUnknownError) for e in loader.failures.values())
    assert sum(r.url.path.endswith(many) for r in script.requests) == 1


def test_metadata_or_a_version_makes_single_runs(server: LoopbackServer) -> None:
    loader = RoeAgentRunLoader(
        AGENT_ID, inputs(2), client=client_for(server), metadata={"batch": "nightly"}
    )
    assert len(loader.load()) == 4
    assert len(server.runs.keys) == 2
    assert all(job.inputs["metadata"] == {"batch": "nightly"} for job in server.runs.jobs.values())
