"""Every option of `RoeAgentJobResultLoader` and `from_agent`, seen where it acts.

What reaches the loopback server (the listing's query parameters, the ids in each batch body, the
per-job paths, the status polls: `tests/support/wire.py`) or what the load returns, sync and async
alike. An option accepted but lost on its way to the request fails here.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from langchain_core.document_loaders import BaseBlobParser
from langchain_core.documents import Document
from langchain_core.documents.base import Blob

from langchain_roe import (
    AgentJobStatusCode,
    JobFailedError,
    JobNotFinishedError,
    RoeAgentJobResultLoader,
    RoeClient,
)
from tests.support.example_jobs import WAITING
from tests.support.listing import EPOCH
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.wire import Recorder, Sent, load, loopback_client, sent

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOBS = 12
IDS = job_ids(JOBS)
FAILED, RUNNING, CORRECTED = IDS[3], IDS[5], IDS[1]
RESULTS = "/v1/agents/jobs/results/"
STATUSES = "/v1/agents/jobs/statuses/"
LISTING = f"/v1/agents/{LISTED_AGENT_ID}/jobs/"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    config = ServerConfig(
        listed_jobs=JOBS,
        outputs=3,
        failed_ids=[FAILED],
        running_ids=[RUNNING],
        corrected_ids=[CORRECTED],
    )
    with LoopbackServer(config) as running:
        yield running


def batches(server: LoopbackServer) -> list[list[str]]:
    """The ids of each batch results request, in the order they came (units run concurrently)."""
    return [s.json()["job_ids"] for s in sent(server) if s.path == RESULTS]


def loaded_jobs(documents: list[Document]) -> list[str]:
    return list(dict.fromkeys(d.metadata["agent_job_id"] for d in documents))


def listings(server: LoopbackServer) -> list[Sent]:
    return [s for s in sent(server) if s.path == LISTING]


# Ids, batches and per-job requests -----------------------------------------------------------


def test_ids_are_sent_canonical_and_once(server: LoopbackServer, mode: str) -> None:
    given = [IDS[0].upper(), f"{{{IDS[2]}}}", IDS[0], IDS[4]]
    documents = load(RoeAgentJobResultLoader(given, client=loopback_client(server)), mode)
    assert batches(server) == [[IDS[0], IDS[2], IDS[4]]]
    assert loaded_jobs(documents) == [IDS[0], IDS[2], IDS[4]]


@pytest.mark.parametrize(
    ("batch_size", "chunks"),
    [(1, [[0], [1], [2], [4], [6]]), (2, [[0, 1], [2, 4], [6]]), (5, [[0, 1, 2, 4, 6]])],
)
def test_batch_size_cuts_the_batch_requests(
    server: LoopbackServer, mode: str, batch_size: int, chunks: list[list[int]]
) -> None:
    ids = [IDS[n] for n in (0, 1, 2, 4, 6)]
    loader = RoeAgentJobResultLoader(ids, client=loopback_client(server), batch_size=batch_size)
    assert loaded_jobs(load(loader, mode)) == ids
    assert sorted(batches(server)) == sorted([IDS[n] for n in chunk] for chunk in chunks)


@pytest.mark.parametrize("batch_size", [0, 1001])
def test_batch_size_out_of_range_is_refused(batch_size: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        RoeAgentJobResultLoader(IDS[0], api_key="k", batch_size=batch_size)


def test_batch_size_of_1000_is_one_request(server: LoopbackServer) -> None:
    many = job_ids(1000, start=100)
    loader = RoeAgentJobResultLoader(many, client=loopback_client(server), batch_size=1000)
    assert len(load(loader, "sync")) == 3000
    assert [len(ids) for ids in batches(server)] == [1000]


def test_use_batch_endpoint_off_asks_per_job(server: LoopbackServer, mode: str) -> None:
    ids = [IDS[0], IDS[2]]
    loader = RoeAgentJobResultLoader(ids, client=loopback_client(server), use_batch_endpoint=False)
    assert loaded_jobs(load(loader, mode)) == ids
    assert sorted((s.method, s.path) for s in sent(server)) == [
        ("GET", f"/v1/agents/jobs/{i}/result/") for i in ids
    ]


@pytest.mark.parametrize(
    ("output_keys", "keys"),
    [(None, ["out0", "out1", "out2"]), ("out1", ["out1"]), (["out2", "out0"], ["out0", "out2"])],
)
def test_output_keys(server: LoopbackServer, mode: str, output_keys: Any, keys: list[str]) -> None:
    loader = RoeAgentJobResultLoader(
        IDS[0], client=loopback_client(server), output_keys=output_keys
    )
    assert [d.metadata["key"] for d in load(loader, mode)] == keys


def test_output_keys_empty_is_refused() -> None:
    with pytest.raises(ValueError, match="output_keys is empty"):
        RoeAgentJobResultLoader(IDS[0], api_key="k", output_keys=[])


@pytest.mark.parametrize("continue_on_failure", [False, True])
def test_continue_on_failure(server: LoopbackServer, mode: str, continue_on_failure: bool) -> None:
    ids = [IDS[0], FAILED, IDS[4]]
    loader = RoeAgentJobResultLoader(
        ids, client=loopback_client(server), continue_on_failure=continue_on_failure
    )
    if not continue_on_failure:
        with pytest.raises(JobFailedError):
            load(loader, mode)
        return
    assert loaded_jobs(load(loader, mode)) == [IDS[0], IDS[4]]
    assert list(loader.failures) == [FAILED]
    assert isinstance(loader.failures[FAILED], JobFailedError)
    # The failure's message came from the statuses endpoint, asked for that job alone.
    assert [s.json()["job_ids"] for s in sent(server) if s.path == STATUSES] == [[FAILED]]


@pytest.mark.parametrize("prefer", [False, True])
def test_prefer_corrected_outputs(server: LoopbackServer, mode: str, prefer: bool) -> None:
    loader = RoeAgentJobResultLoader(
        CORRECTED, client=loopback_client(server), prefer_corrected_outputs=prefer
    )
    first = load(loader, mode)[0]
    assert ('"corrected": true' in first.page_content) is prefer
    assert first.metadata.get("corrected", False) is prefer


@pytest.mark.parametrize("wait", [False, True])
def test_wait_for_completion(mode: str, wait: bool) -> None:
    recorder = Recorder()  # WAITING: PENDING, then STARTED, then SUCCESS, one step per status poll
    loader = RoeAgentJobResultLoader(
        WAITING, client=recorder.client(), wait_for_completion=wait, continue_on_failure=True
    )
    documents = load(loader, mode)
    if wait:
        assert loaded_jobs(documents) == [WAITING]
        assert any(s.path == STATUSES for s in recorder.sent)
    else:
        assert documents == []
        assert isinstance(loader.failures[WAITING], JobNotFinishedError)
        assert [s.path for s in recorder.sent] == [RESULTS]


@pytest.mark.parametrize("wait_timeout", [0.5, 5.0, 30.0])
def test_wait_timeout_bounds_the_wait(
    server: LoopbackServer, mode: str, wait_timeout: float, retry_sleeps: list[float]
) -> None:
    loader = RoeAgentJobResultLoader(
        [RUNNING, IDS[0]],
        client=loopback_client(server),
        wait_for_completion=True,
        wait_timeout=wait_timeout,
        continue_on_failure=True,
    )
    assert loaded_jobs(load(loader, mode)) == [IDS[0]]
    assert isinstance(loader.failures[RUNNING], JobNotFinishedError)
    waited = sum(retry_sleeps)
    assert wait_timeout * 0.5 <= waited <= wait_timeout + 1e-6
    assert any(s.path == STATUSES for s in sent(server))


@pytest.mark.parametrize("wait_timeout", [0, -1.0, float("nan")])
def test_wait_timeout_must_be_positive(wait_timeout: float) -> None:
    with pytest.raises(ValueError, match="wait_timeout"):
        RoeAgentJobResultLoader(IDS[0], api_key="k", wait_timeout=wait_timeout)


class _Peaks:
    """A handler that holds each request until `expected` are in flight (or a second passes)."""

    def __init__(self, expected: int) -> None:
        self.recorder = Recorder()
        self.expected = expected
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.enter()
        try:
            ends = time.monotonic() + 1.0  # a bound that only catches a missing peer
            while self.in_flight < self.expected and time.monotonic() < ends:
                time.sleep(0.002)
            return self.recorder(request)
        finally:
            self.leave()

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        self.enter()
        try:
            ends = time.monotonic() + 1.0
            while self.in_flight < self.expected and time.monotonic() < ends:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            return self.recorder(request)
        finally:
            self.leave()

    def client(self) -> RoeClient:
        return RoeClient(
            api_key="test-key-not-secret",
            http_client=httpx.Client(transport=httpx.MockTransport(self.handle)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(self.ahandle)),
        )


@pytest.mark.parametrize("max_concurrency", [1, 2, 3])
def test_max_concurrency_is_the_requests_in_flight(mode: str, max_concurrency: int) -> None:
    peaks = _Peaks(max_concurrency)
    ids = job_ids(6, start=500)  # unknown to the fake API: each its own request
    loader = RoeAgentJobResultLoader(
        ids,
        client=peaks.client(),
        batch_size=1,
        max_concurrency=max_concurrency,
        continue_on_failure=True,
    )
    load(loader, mode)
    assert len(loader.failures) == 6
    assert sum(s.path == RESULTS for s in peaks.recorder.sent) == 6
    assert peaks.peak == max_concurrency


@pytest.mark.parametrize("max_concurrency", [0, -1])
def test_max_concurrency_below_one_is_refused(max_concurrency: int) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        RoeAgentJobResultLoader(IDS[0], api_key="k", max_concurrency=max_concurrency)


def test_show_progress_draws_a_bar(
    server: LoopbackServer, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    loader = RoeAgentJobResultLoader(IDS[:3], client=loopback_client(server), show_progress=True)
    load(loader, mode)
    assert "Roe jobs" in capsys.readouterr().err
    load(RoeAgentJobResultLoader(IDS[:3], client=loopback_client(server)), mode)
    assert "Roe jobs" not in capsys.readouterr().err


class _EveryBlob(BaseBlobParser):
    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        yield Document(page_content=f"parsed {blob.mimetype}")


@pytest.mark.parametrize("parser", [None, _EveryBlob()], ids=["no parser", "a parser"])
@pytest.mark.parametrize("load_references", [False, True])
def test_load_references_and_reference_parser(
    mode: str, load_references: bool, parser: BaseBlobParser | None
) -> None:
    config = ServerConfig(outputs=2, references=4, reference_bytes=200)
    with LoopbackServer(config) as server:
        loader = RoeAgentJobResultLoader(
            IDS[0],
            client=loopback_client(server),
            load_references=load_references,
            reference_parser=parser,
        )
        documents = load(loader, mode)
        fetched = sorted(
            s.path.rsplit("/", 2)[-2] for s in sent(server) if "/references/" in s.path
        )
    names = [f"{n}-{IDS[0][:8]}.{ext}" for n, ext in enumerate(("md", "html", "png", "json"))]
    if not load_references:
        assert fetched == []
        assert len(documents) == 2
        return
    expected = names if parser is not None else [n for n in names if not n.endswith(".png")]
    assert fetched == sorted(expected)  # the PNG is asked for only when a parser can read it
    assert len(documents) == 2 + len(expected)
    if parser is not None:
        assert "parsed image/png" in [d.page_content for d in documents]


def test_reference_parser_must_be_a_blob_parser() -> None:
    with pytest.raises(ValueError, match="BaseBlobParser"):
        RoeAgentJobResultLoader(IDS[0], api_key="k", reference_parser=object())  # type: ignore[arg-type]


# from_agent: the listing's filters on the wire ------------------------------------------------


def minute(n: int) -> str:
    return (EPOCH + timedelta(minutes=n)).isoformat()


# option -> (the value given, the query parameter it must send, the positions it must load)
FILTERS: dict[str, tuple[Any, tuple[str, str], list[int]]] = {
    "created_from": (EPOCH + timedelta(minutes=8), ("created_from", minute(8)), [8, 9, 10, 11]),
    "created_to": (minute(2), ("created_to", minute(2)), [0, 1, 2]),
    "version_name": ("version 2", ("version_name", "version 2"), [0, 4, 8]),
    "metadata": ({"customer": "c1"}, ("metadata", '{"customer":"c1"}'), [1, 6, 11]),
    "search": ("customer c2", ("search", "customer c2"), [2, 7]),
    "status": (AgentJobStatusCode.FAILURE, ("status_code", "4"), []),  # listed, not loaded
}


@pytest.mark.parametrize("option", sorted(FILTERS))
def test_from_agent_sends_each_filter(server: LoopbackServer, mode: str, option: str) -> None:
    value, (param, sent_value), positions = FILTERS[option]
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=loopback_client(server), **{option: value}
    )
    documents = load(loader, mode)
    (first, *_) = listings(server)
    assert first.param(param) == sent_value
    assert first.param("ordering") == "created_at,id"
    assert first.param("page_size") == "100"
    assert loaded_jobs(documents) == [IDS[n] for n in positions if IDS[n] not in (FAILED, RUNNING)]


def test_from_agent_sends_no_filter_not_given(server: LoopbackServer, mode: str) -> None:
    load(RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=loopback_client(server)), mode)
    (first,) = listings(server)
    assert set(first.query) == {"ordering", "page_size"}


def test_from_agent_status_failure_with_only_succeeded_off(
    server: LoopbackServer, mode: str
) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=loopback_client(server),
        status=AgentJobStatusCode.FAILURE,
        only_succeeded=False,
        continue_on_failure=True,
    )
    assert load(loader, mode) == []
    assert list(loader.failures) == [FAILED]
    assert batches(server) == [[FAILED]]


@pytest.mark.parametrize("only_succeeded", [True, False])
def test_from_agent_only_succeeded(server: LoopbackServer, mode: str, only_succeeded: bool) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=loopback_client(server),
        only_succeeded=only_succeeded,
        continue_on_failure=True,
    )
    documents = load(loader, mode)
    asked = sorted(i for ids in batches(server) for i in ids)
    if only_succeeded:
        assert asked == sorted(i for i in IDS if i not in (FAILED, RUNNING))
        assert loader.failures == {}
    else:
        assert asked == sorted(IDS)
        assert set(loader.failures) == {FAILED, RUNNING}
    assert loaded_jobs(documents) == [i for i in IDS if i not in (FAILED, RUNNING)]


@pytest.mark.parametrize(("page_size", "pages"), [(1, 12), (5, 3), (12, 1), (1000, 1)])
def test_from_agent_page_size(
    server: LoopbackServer, mode: str, page_size: int, pages: int
) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=loopback_client(server), page_size=page_size
    )
    load(loader, mode)
    read = listings(server)
    assert len(read) == pages
    assert read[0].param("page_size") == str(page_size)


@pytest.mark.parametrize("page_size", [0, 1001])
def test_from_agent_page_size_out_of_range_is_refused(page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, api_key="k", page_size=page_size)


def test_from_agent_passes_the_loaders_options_along(server: LoopbackServer, mode: str) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=loopback_client(server),
        created_to=minute(4),
        batch_size=2,
        output_keys=["out1"],
        prefer_corrected_outputs=True,
    )
    documents = load(loader, mode)
    assert sorted(batches(server)) == [[IDS[0], IDS[1]], [IDS[2], IDS[4]]]
    assert {d.metadata["key"] for d in documents} == {"out1"}
    assert len(documents) == 4


def test_from_agent_use_batch_endpoint_off(server: LoopbackServer, mode: str) -> None:
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID,
        client=loopback_client(server),
        created_to=minute(2),
        use_batch_endpoint=False,
    )
    assert loaded_jobs(load(loader, mode)) == IDS[:3]
    assert batches(server) == []
    assert sorted(s.path for s in sent(server) if s.path != LISTING) == [
        f"/v1/agents/jobs/{i}/result/" for i in sorted(IDS[:3])
    ]


def test_from_agent_filters_are_checked_before_any_request(server: LoopbackServer) -> None:
    client = loopback_client(server)
    with pytest.raises(ValueError, match="created_from"):
        RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, client=client, created_from="2026-11-02T09:00:00"
        )
    with pytest.raises(ValueError, match="after created_to"):
        RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, client=client, created_from=minute(5), created_to=minute(1)
        )
    with pytest.raises(ValueError, match="metadata"):
        RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client, metadata={})
    with pytest.raises(ValueError, match="agent_id"):
        RoeAgentJobResultLoader.from_agent("agent-1", client=client)
    assert sent(server) == []


def test_metadata_given_as_text_is_sent_as_it_is(server: LoopbackServer, mode: str) -> None:
    text = json.dumps({"region": "eu"})
    loader = RoeAgentJobResultLoader.from_agent(
        LISTED_AGENT_ID, client=loopback_client(server), metadata=text
    )
    load(loader, mode)
    assert listings(server)[0].param("metadata") == text
