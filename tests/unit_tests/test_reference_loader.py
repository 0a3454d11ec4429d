"""`load_references`: each output's cited files after it, as Documents, over the loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.document_loaders import BaseBlobParser
from langchain_core.documents import Document
from langchain_core.documents.base import Blob

from langchain_roe import (
    InvalidReferenceError,
    ResponseTooLargeError,
    RoeAgentJobResultLoader,
    RoeAgentRunLoader,
    RoeClient,
)
from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig, job_ids
from tests.support.references import content

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

IDS = job_ids(5)
BIG, FOREIGN = IDS[1], IDS[2]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    config = ServerConfig(
        outputs=2,
        references=4,  # md, html, png, json
        large_reference_ids=[BIG],
        large_reference_bytes=64 * 1024,
        foreign_reference_ids=[FOREIGN],
    )
    with LoopbackServer(config) as running:
        yield running


def client_for(server: LoopbackServer, **settings: Any) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url, **settings)


def load(loader: Any, mode: str) -> list[Document]:
    return loader.load() if mode == "sync" else asyncio.run(loader.aload())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_each_outputs_text_references_follow_it(server: LoopbackServer, mode: str) -> None:
    loader = RoeAgentJobResultLoader(IDS[:1], client=client_for(server), load_references=True)
    documents = load(loader, mode)
    job = IDS[0]
    shape = [(d.metadata["key"], d.metadata.get("resource_id")) for d in documents]
    assert shape == [
        ("out0", None),
        ("out0", f"0-{job[:8]}.md"),
        ("out0", f"1-{job[:8]}.html"),
        ("out0", f"3-{job[:8]}.json"),  # the png is skipped unasked: no parser
        ("out1", None),
    ]
    markdown = documents[1]
    assert markdown.page_content == content(job, f"0-{job[:8]}.md", 300).decode()
    assert markdown.metadata == {
        "agent_job_id": job,
        "agent_id": "11111111-2222-4333-8444-555555555555",
        "source": f"{server.base_url}/v1/agents/jobs/{job}/references/0-{job[:8]}.md/",
        "key": "out0",
        "output_index": 0,
        "resource_id": f"0-{job[:8]}.md",
        "data_type": "text/markdown; charset=utf-8",
        "reference": True,
    }
    assert not any(".png" in line for line in server.log)
    assert loader.failures == {}


def test_reference_ids_are_stable_and_distinct(server: LoopbackServer, mode: str) -> None:
    first = RoeAgentJobResultLoader(IDS[:1], client=client_for(server), load_references=True)
    again = RoeAgentJobResultLoader(IDS[:1], client=client_for(server), load_references=True)
    ids = [d.id for d in load(first, mode)]
    assert ids == [d.id for d in again.load()]
    assert len(set(ids)) == len(ids)


def test_without_the_option_nothing_is_fetched(server: LoopbackServer) -> None:
    documents = RoeAgentJobResultLoader(IDS[:1], client=client_for(server)).load()
    assert len(documents) == 2
    assert not any("/references/" in line for line in server.log)


class PngParser(BaseBlobParser):
    """A stand-in for an image parser: one Document per PNG, saying its size."""

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        data = blob.as_bytes()
        assert data.startswith(b"\x89PNG")
        yield Document(page_content=f"an image of {len(data)} bytes", metadata={"pages": 1})


def test_a_parser_reads_what_is_not_text(server: LoopbackServer, mode: str) -> None:
    loader = RoeAgentJobResultLoader(
        IDS[:1], client=client_for(server), load_references=True, reference_parser=PngParser()
    )
    documents = load(loader, mode)
    (image,) = [d for d in documents if str(d.metadata.get("resource_id")).endswith(".png")]
    assert image.page_content.startswith("an image of ")
    assert image.metadata["data_type"] == "image/png"
    assert image.metadata["pages"] == 1  # the parser's own metadata, kept when flat


def test_a_failed_reference_is_kept_in_failures_and_the_outputs_load(
    server: LoopbackServer, mode: str
) -> None:
    client = client_for(server, max_reference_bytes=16 * 1024)
    loader = RoeAgentJobResultLoader(IDS, client=client, load_references=True)
    documents = load(loader, mode)
    outputs = [d for d in documents if not d.metadata.get("reference")]
    assert len(outputs) == 2 * len(IDS)  # every job's outputs, the failing ones' included
    assert isinstance(loader.failures[BIG], ResponseTooLargeError)
    assert isinstance(loader.failures[FOREIGN], InvalidReferenceError)
    assert set(loader.failures) == {BIG, FOREIGN}
    big = [
        d for d in documents if d.metadata["agent_job_id"] == BIG and d.metadata.get("reference")
    ]
    assert len(big) == 3  # its other references still load
    assert not any("foreign" in line for line in server.log)  # the other host was never asked


def test_output_keys_limit_the_references_too(server: LoopbackServer) -> None:
    loader = RoeAgentJobResultLoader(
        IDS[:1], client=client_for(server), load_references=True, output_keys=["out1"]
    )
    assert [d.metadata["key"] for d in loader.load()] == ["out1"]
    assert not any("/references/" in line for line in server.log)


def test_the_run_loader_loads_references_and_keys_their_failures_by_input(
    server: LoopbackServer,
) -> None:
    server.config.references = 2
    loader = RoeAgentRunLoader(
        AGENT_ID,
        [{"url": "https://example.com", "question": "q"}],
        client=client_for(server),
        load_references=True,
    )
    documents = loader.load()
    assert [d.metadata.get("resource_id", "").rsplit(".", 1)[-1] for d in documents][:3] == [
        "",
        "md",
        "html",
    ]
    assert {d.metadata["agent_job_id"] for d in documents} == {
        documents[0].metadata["agent_job_id"]
    }
    server.config.reference_bytes = 4096  # past the cap below: every reference now fails
    capped = RoeAgentRunLoader(
        AGENT_ID,
        [
            {"url": "https://example.com/a", "question": "q"},
            {"url": "https://example.com/b", "question": "q"},
        ],
        client=client_for(server, max_reference_bytes=1024),
        load_references=True,
        continue_on_failure=True,
    )
    outputs = capped.load()
    assert {d.metadata["input_index"] for d in outputs} == {0, 1}  # the outputs still load
    assert set(capped.failures) == {0, 1}  # keyed by input position, as the run loader's are
    assert all(isinstance(e, ResponseTooLargeError) for e in capped.failures.values())


def test_a_bad_parser_is_refused_when_the_loader_is_made(server: LoopbackServer) -> None:
    with pytest.raises(ValueError, match="reference_parser must be a BaseBlobParser"):
        RoeAgentJobResultLoader(IDS, client=client_for(server), reference_parser=object())  # type: ignore[arg-type]


def test_the_test_server_honours_range_requests_as_the_spec_says(server: LoopbackServer) -> None:
    import httpx

    job = IDS[0]
    url = f"{server.base_url}/v1/agents/jobs/{job}/references/0-{job[:8]}.md/"
    whole = content(job, f"0-{job[:8]}.md", 300)
    with httpx.Client() as http:
        first = http.get(url, headers={"Range": "bytes=0-9"})
        tail = http.get(url, headers={"Range": "bytes=-5"})
        past = http.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert first.status_code == 206
    assert first.content == whole[:10]
    assert first.headers["content-range"] == f"bytes 0-9/{len(whole)}"
    assert tail.content == whole[-5:]
    assert past.status_code == 416
