"""Every client setting (`RoeSettings`), seen on the wire: at `RoeClient`, and through every surface.

First each setting's effect at the client itself (the headers, the query, the URL, the attempts,
the body caps, the environment variable it falls back to); then each surface that takes client
settings (the tools, the toolkits, the loaders, the Ray planner and loader) is built from them
and must send them: a setting a surface accepts and drops on its way to its client fails here.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage

from langchain_roe import (
    ConfigurationError,
    ResponseTooLargeError,
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeCancelAgentJobTool,
    RoeClient,
    RoeDescribeTableTool,
    RoeListTablesTool,
    RoeQueryTableTool,
    RoeReadJobReferenceTool,
    RoeTableLoader,
    RoeTablesToolkit,
    RoeToolkit,
    ServerError,
)
from langchain_roe._version import __version__
from langchain_roe.ray import JobChunk, load_partition, plan_partitions
from tests.support.agents import AGENT_ID
from tests.support.example_jobs import DOCS, WEB
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids
from tests.support.mock_api import json_response, mock_client
from tests.support.wire import Recorder, Sent, load, sent, tool_call

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

ORGANIZATION = "0A1B2C3D-0000-4000-8000-00000000000F"
CANONICAL_ORGANIZATION = ORGANIZATION.lower()
KEY = "wire-key-not-secret"
JOB = job_ids(1)[0]
MARKDOWN = "/v1/agents/jobs/{}/references/3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e.md/"


def run(mode: str, sync: Callable[[], Any], asynchronous: Callable[[], Any]) -> Any:
    return sync() if mode == "sync" else asyncio.run(asynchronous())


# At RoeClient --------------------------------------------------------------------------------


def test_api_key_is_the_bearer_token(mode: str) -> None:
    recorder = Recorder()
    client = recorder.client(api_key=f"  Bearer {KEY} ")
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    (request,) = recorder.sent
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_no_api_key_sends_nothing(mode: str) -> None:
    recorder = Recorder()
    client = RoeClient(
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder)),
    )
    with pytest.raises(ConfigurationError, match="no Roe API key"):
        run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    assert recorder.sent == []


def test_every_request_says_who_it_is_and_what_it_takes(mode: str) -> None:
    recorder = Recorder()
    client = recorder.client()
    run(mode, lambda: client.get_result(WEB), lambda: client.aget_result(WEB))
    page = MARKDOWN.format(WEB).rsplit("/", 2)[-2]
    run(mode, lambda: client.get_reference(WEB, page), lambda: client.aget_reference(WEB, page))
    result, reference = recorder.sent
    for request in (result, reference):
        assert request.headers["user-agent"] == f"langchain-roe/{__version__}"
        assert request.headers["accept-encoding"] == "gzip, deflate"
    assert result.headers["accept"] == "application/json"
    assert reference.headers["accept"] == "*/*"  # a file may be any type
    assert reference.path == MARKDOWN.format(WEB)


@pytest.mark.parametrize("given", [ORGANIZATION, CANONICAL_ORGANIZATION, f" {ORGANIZATION} "])
def test_organization_id_is_on_every_request(mode: str, given: str) -> None:
    recorder = Recorder()
    client = recorder.client(organization_id=given)
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    run(mode, lambda: client.get_results([DOCS]), lambda: client.aget_results([DOCS]))
    assert [r.param("organization_id") for r in recorder.sent] == [CANONICAL_ORGANIZATION] * 2


def test_organization_id_not_given_is_not_sent(mode: str) -> None:
    recorder = Recorder()
    client = recorder.client()
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    assert recorder.sent[0].query == {}


def test_organization_id_follows_a_next_link_that_drops_it(mode: str) -> None:
    """A server's `next` link need not repeat the query: the organization is sent on each page."""
    seen: list[httpx.Request] = []
    summary = {"id": JOB, "status": 3, "created_at": "2026-11-02T09:00:00Z"}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("page") == "2":
            return json_response(200, {"count": 2, "next": None, "results": [summary]})
        link = f"https://api.roe-ai.com/v1/agents/{LISTED_AGENT_ID}/jobs/?page=2"
        other = {**summary, "id": job_ids(2)[1]}
        return json_response(200, {"count": 2, "next": link, "results": [other]})

    client = mock_client(handler, organization_id=ORGANIZATION)

    async def alist() -> list[Any]:
        return [job async for job in client.alist_jobs(LISTED_AGENT_ID)]

    jobs = run(mode, lambda: list(client.list_jobs(LISTED_AGENT_ID)), alist)
    assert len(jobs) == 2
    assert [r.url.params.get("organization_id") for r in seen] == [CANONICAL_ORGANIZATION] * 2


def _any_result(seen: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    """A server that answers every request with an empty result, keeping each URL."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return json_response(200, {"outputs": []})

    return handler


def test_organization_id_with_a_listing_of_many_pages(mode: str) -> None:
    """Found by this audit: httpx's `params=` replaced a `next` link's own query (its page), so an
    organization's listing of more than one page asked for page 1 again and failed."""
    with LoopbackServer(ServerConfig(listed_jobs=5, outputs=1)) as server:
        client = RoeClient(api_key=KEY, base_url=server.base_url, organization_id=ORGANIZATION)
        loader = RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, client=client, page_size=2)
        documents = loader.load() if mode == "sync" else asyncio.run(loader.aload())
        listed = [s for s in sent(server) if s.path.endswith(f"{LISTED_AGENT_ID}/jobs/")]
    assert len(documents) == 5
    assert [s.param("page") for s in listed] == [None, "2", "3"]
    assert {s.param("organization_id") for s in listed} == {CANONICAL_ORGANIZATION}
    assert {s.param("page_size") for s in listed} == {"2"}


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://roe.example.com", "https://roe.example.com/v1/agents/jobs/{}/result/"),
        ("https://roe.example.com/api/", "https://roe.example.com/api/v1/agents/jobs/{}/result/"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123/v1/agents/jobs/{}/result/"),
    ],
)
def test_base_url_is_where_requests_go(mode: str, base_url: str, url: str) -> None:
    seen: list[str] = []
    client = mock_client(_any_result(seen), base_url=base_url)
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    assert seen == [url.format(DOCS)]


@pytest.mark.parametrize("base_url", ["http://roe.example.com", "http://10.0.0.5:8000"])
def test_allow_insecure_http(mode: str, base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        RoeClient(api_key=KEY, base_url=base_url)
    seen: list[str] = []
    client = mock_client(_any_result(seen), base_url=base_url, allow_insecure_http=True)
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    assert seen == [f"{base_url}/v1/agents/jobs/{DOCS}/result/"]


@pytest.mark.parametrize("timeout", [0.5, 12.0, 300.0])
def test_timeout_is_each_attempts(mode: str, timeout: float) -> None:
    timeouts: list[dict[str, Any]] = []
    recorder = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return recorder(request)

    client = mock_client(handler, timeout=timeout)
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    assert timeouts == [dict.fromkeys(("connect", "read", "write", "pool"), timeout)]


@pytest.mark.parametrize("max_retries", [0, 1, 4])
def test_max_retries_is_the_attempts_after_the_first(mode: str, max_retries: int) -> None:
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        return json_response(503, {"detail": "down"})

    client = mock_client(handler, max_retries=max_retries)
    with pytest.raises(ServerError):
        run(mode, lambda: client.get_status(DOCS), lambda: client.aget_status(DOCS))
    assert len(attempts) == max_retries + 1


def _body_of(size: int) -> bytes:
    """A JSON result body of exactly `size` bytes."""
    head = b'{"outputs": [], "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize(("extra", "fits"), [(0, True), (1, False)])
def test_max_response_bytes_caps_an_answer(mode: str, extra: int, fits: bool) -> None:
    cap = 4096
    body = _body_of(cap + extra)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    client = mock_client(handler, max_response_bytes=cap, max_retries=0)
    if fits:
        run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
        return
    with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
        run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))


@pytest.mark.parametrize(("extra", "fits"), [(0, True), (1, False)])
def test_max_reference_bytes_caps_a_reference_only(mode: str, extra: int, fits: bool) -> None:
    cap = 2048

    def handler(request: httpx.Request) -> httpx.Response:
        if "/references/" in request.url.path:
            body = b"#" * (cap + extra)
            return httpx.Response(200, content=body, headers={"Content-Type": "text/markdown"})
        return httpx.Response(
            200, content=_body_of(cap * 2), headers={"Content-Type": "application/json"}
        )

    client = mock_client(handler, max_reference_bytes=cap, max_retries=0)
    # A JSON answer past the reference cap (and within max_response_bytes) is read.
    run(mode, lambda: client.get_result(DOCS), lambda: client.aget_result(DOCS))
    read = (
        lambda: client.get_reference(DOCS, "page.md"),
        lambda: client.aget_reference(DOCS, "page.md"),
    )
    if fits:
        assert len(run(mode, *read).as_bytes()) == cap
        return
    with pytest.raises(ResponseTooLargeError, match="max_reference_bytes"):
        run(mode, *read)


# Each setting read from its environment variable, observed on the wire.


def test_each_setting_falls_back_to_its_variable(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LoopbackServer(ServerConfig(server_errors=1.0)) as server:
        monkeypatch.setenv("ROE_API_KEY", "env-key-not-secret")
        monkeypatch.setenv("ROE_ORGANIZATION_ID", ORGANIZATION)
        monkeypatch.setenv("ROE_BASE_URL", server.base_url)
        monkeypatch.setenv("ROE_MAX_RETRIES", "2")
        monkeypatch.setenv("ROE_TIMEOUT", "7")
        client = RoeClient()
        assert client.settings.timeout == 7.0
        with pytest.raises(ServerError):
            run(mode, lambda: client.get_status(JOB), lambda: client.aget_status(JOB))
        requests = sent(server)
    assert len(requests) == 3
    for request in requests:
        assert request.headers["authorization"] == "Bearer env-key-not-secret"
        assert request.param("organization_id") == CANONICAL_ORGANIZATION


# Through every surface that takes client settings ----------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A surface built from client settings, and one use of it (raising or not)."""

    name: str
    build: Callable[[dict[str, Any]], Any]
    use: Callable[[Any, str], Any]
    modes: tuple[str, ...] = ("sync", "async")


def _toolkit(settings: dict[str, Any]) -> Any:
    return lambda mode: (
        RoeToolkit.from_agents(AGENT_ID, **settings)
        if mode == "sync"
        else asyncio.run(RoeToolkit.afrom_agents(AGENT_ID, **settings))
    )


SURFACES = [
    Surface(
        "RoeClient",
        lambda s: RoeClient(**s),
        lambda c, mode: run(mode, lambda: c.get_result(JOB), lambda: c.aget_result(JOB)),
    ),
    Surface(
        "RoeAgentJobResultTool",
        lambda s: RoeAgentJobResultTool(**s),
        lambda t, mode: tool_call(t, mode, agent_job_id=JOB),
    ),
    Surface(
        "RoeReadJobReferenceTool",
        lambda s: RoeReadJobReferenceTool(**s),
        lambda t, mode: tool_call(t, mode, agent_job_id=JOB, reference=f"0-{JOB[:8]}.md"),
    ),
    Surface(
        "RoeCancelAgentJobTool",
        lambda s: RoeCancelAgentJobTool(**s),
        lambda t, mode: tool_call(t, mode, agent_job_id=JOB),
    ),
    Surface(
        "RoeListTablesTool", lambda s: RoeListTablesTool(**s), lambda t, mode: tool_call(t, mode)
    ),
    Surface(
        "RoeDescribeTableTool",
        lambda s: RoeDescribeTableTool(**s),
        lambda t, mode: tool_call(t, mode, table_names=["companies"]),
    ),
    Surface(
        "RoeQueryTableTool",
        lambda s: RoeQueryTableTool(**s),
        lambda t, mode: tool_call(t, mode, sql="SELECT id FROM companies"),
    ),
    Surface(
        "RoeTablesToolkit",
        lambda s: RoeTablesToolkit(**s).get_tools()[0],
        lambda t, mode: tool_call(t, mode),
    ),
    Surface("RoeToolkit.from_agents", _toolkit, lambda make, mode: make(mode)),
    Surface(
        "RoeTableLoader",
        lambda s: RoeTableLoader("SELECT id FROM companies", **s),
        load,
    ),
    Surface("RoeAgentJobResultLoader", lambda s: RoeAgentJobResultLoader(JOB, **s), load),
    Surface(
        "RoeAgentJobResultLoader.from_agent",
        lambda s: RoeAgentJobResultLoader.from_agent(LISTED_AGENT_ID, **s),
        load,
    ),
    Surface(
        "plan_partitions",
        lambda s: s,
        lambda s, mode: plan_partitions(LISTED_AGENT_ID, **s),
        ("sync",),
    ),
    Surface(
        "load_partition",
        lambda s: s,
        lambda s, mode: list(load_partition(JobChunk((JOB,)), **s)),
        ("sync",),
    ),
]
CASES = [(surface, mode) for surface in SURFACES for mode in surface.modes]
IDS = [f"{surface.name}-{mode}" for surface, mode in CASES]


@pytest.fixture
def healthy() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(listed_jobs=3, outputs=1)) as server:
        yield server


@pytest.mark.parametrize(("surface", "mode"), CASES, ids=IDS)
def test_each_surface_sends_its_settings(
    healthy: LoopbackServer, surface: Surface, mode: str
) -> None:
    settings = {
        "api_key": KEY,
        "organization_id": ORGANIZATION,
        "base_url": healthy.base_url,  # anywhere else: no socket would open
        "timeout": 33.0,
        "max_response_bytes": 10**7,
        "max_reference_bytes": 10**6,
    }
    built = surface.build(settings)
    client = getattr(built, "client", None)
    if isinstance(client, RoeClient):
        shown = client.settings
        assert (shown.timeout, shown.max_response_bytes, shown.max_reference_bytes) == (
            33.0,
            10**7,
            10**6,
        )
    surface.use(built, mode)
    requests: list[Sent] = sent(healthy)
    assert requests
    for request in requests:
        assert request.headers["authorization"] == f"Bearer {KEY}", request.path
        assert request.param("organization_id") == CANONICAL_ORGANIZATION, request.path


@pytest.mark.parametrize("max_retries", [0, 2])
@pytest.mark.parametrize(("surface", "mode"), CASES, ids=IDS)
def test_each_surface_keeps_max_retries(surface: Surface, mode: str, max_retries: int) -> None:
    with LoopbackServer(ServerConfig(server_errors=1.0)) as failing:
        settings = {"api_key": KEY, "base_url": failing.base_url, "max_retries": max_retries}
        try:
            answer = surface.use(surface.build(settings), mode)
        except ServerError:
            pass
        else:  # a tool tells the model instead of raising (the describe tool, in its section)
            assert isinstance(answer, ToolMessage)
            assert answer.status == "error" or "Service temporarily unavailable" in str(
                answer.content
            )
        requests = sent(failing)
    # Each request the surface made was tried once and then retried `max_retries` times.
    attempts = Counter((r.method, r.path) for r in requests)
    assert set(attempts.values()) == {max_retries + 1}, attempts
