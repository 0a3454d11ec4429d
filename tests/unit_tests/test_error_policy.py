"""Who gets which error, pinned: each error runs through every surface, and the README says so.

Every call a surface makes goes through its client's send loop (`RoeClient._request` and
`_arequest`); the test swaps that loop for one that raises the error under test for the calls it
names, and lets the rest reach the loopback server. Each surface's answer is one of:

- `model`: a tool answers the model with an error ToolMessage;
- `raised`: the error reaches the developer;
- `answer`: a tool answers the model normally (a run still going is not an error);
- `skipped`: a loader records the job (or input) in `failures` and goes on; the retriever leaves
  the job out of its answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from langchain_roe import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidResponseError,
    JobFailedError,
    JobNotFinishedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeAgentRunLoader,
    RoeCancelAgentJobTool,
    RoeClient,
    RoeDescribeTableTool,
    RoeError,
    RoeJobResultRetriever,
    RoeListTablesTool,
    RoeQueryTableTool,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
    RoeTableLoader,
    RunOutcomeUnknownError,
    ServerError,
)
from langchain_roe._core._http import Call
from langchain_roe._core._models import AgentJobStatusCode
from tests.support.agents import AGENT_ID, INPUT_DEFINITIONS
from tests.support.loopback import LISTED_AGENT_ID, LoopbackServer, ServerConfig, job_ids

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

README = Path(__file__).resolve().parents[2] / "README.md"
JOB = job_ids(1)[0]

ERRORS: dict[str, Callable[[], RoeError]] = {
    "ConfigurationError": lambda: ConfigurationError("no Roe API key"),
    "AuthenticationError": lambda: AuthenticationError("bad key", status_code=401),
    "PermissionDeniedError": lambda: PermissionDeniedError("no credits", status_code=403),
    "BadRequestError": lambda: BadRequestError("question is required", status_code=400),
    "NotFoundError": lambda: NotFoundError("Not found.", status_code=404),
    "RateLimitError": lambda: RateLimitError("slow down", status_code=429),
    "ServerError": lambda: ServerError("unavailable", status_code=503),
    "APIConnectionError": lambda: APIConnectionError("connection dropped"),
    "APITimeoutError": lambda: APITimeoutError("no answer within 60s"),
    "InvalidResponseError": lambda: InvalidResponseError("not the spec's shape"),
    "JobNotFinishedError": lambda: JobNotFinishedError(
        "still running", status=AgentJobStatusCode.STARTED
    ),
    "JobFailedError": lambda: JobFailedError(
        "the agent job ended in FAILURE", status=AgentJobStatusCode.FAILURE
    ),
}

SURFACES = ("result, reference and cancel tools", "run tool", "loaders", "retriever")

#: The policy: what each surface does with each error (the README's table, column by column).
EXPECTED: dict[str, tuple[str, str, str, str]] = {
    "ConfigurationError": ("raised", "raised", "raised", "raised"),
    "AuthenticationError": ("raised", "raised", "raised", "raised"),
    "PermissionDeniedError": ("raised", "raised", "raised", "raised"),
    "BadRequestError": ("model", "model", "skipped", "raised"),
    "NotFoundError": ("model", "raised", "skipped", "skipped"),
    "RateLimitError": ("model", "model", "skipped", "raised"),
    "ServerError": ("model", "model", "skipped", "raised"),
    "APIConnectionError": ("model", "model", "skipped", "raised"),
    "APITimeoutError": ("model", "model", "skipped", "raised"),
    "InvalidResponseError": ("model", "model", "skipped", "skipped"),
    "JobNotFinishedError": ("model", "answer", "skipped", "skipped"),
    "JobFailedError": ("model", "model", "skipped", "skipped"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(listed_jobs=3, outputs=1)) as running:
        yield running


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def failing(server: LoopbackServer, error: Callable[[], RoeError], where: str) -> RoeClient:
    """A client whose calls to paths holding `where` fail with `error`; the rest are served."""
    client = RoeClient(api_key="loopback-key", base_url=server.base_url, max_retries=0)
    send, asend = client._request, client._arequest

    def fails(call: Call[Any]) -> bool:
        return where in (call.url or call.path)

    def request(call: Call[Any]) -> Any:
        if fails(call):
            raise error()
        return send(call)

    async def arequest(call: Call[Any]) -> Any:
        if fails(call):
            raise error()
        return await asend(call)

    client._request = request  # type: ignore[method-assign]
    client._arequest = arequest  # type: ignore[method-assign]
    return client


def tool_answer(tool: BaseTool, args: dict[str, Any], mode: str, error: type[RoeError]) -> str:
    call = {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}
    try:
        message = tool.invoke(call) if mode == "sync" else asyncio.run(tool.ainvoke(call))
    except error:
        return "raised"
    assert isinstance(message, ToolMessage)
    return "model" if message.status == "error" else "answer"


def loaded(
    loader: RoeAgentJobResultLoader | RoeAgentRunLoader, mode: str, error: type[RoeError]
) -> str:
    try:
        documents = loader.load() if mode == "sync" else asyncio.run(loader.aload())
    except error:
        return "raised"
    assert documents == []
    assert loader.failures, "the failure was not recorded"
    # a run whose start may have reached the server says so (RunOutcomeUnknownError, naming the
    # error): whether its job exists is unknown
    assert all(isinstance(f, error | RunOutcomeUnknownError) for f in loader.failures.values())
    return "skipped"


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_result_reference_and_cancel_tools(
    server: LoopbackServer, mode: str, name: str
) -> None:
    error = ERRORS[name]
    client = failing(server, error, "/agents/jobs/")
    result = RoeAgentJobResultTool(client=client)
    reference = RoeReadJobReferenceTool(client=client)
    cancel = RoeCancelAgentJobTool(client=client)
    kind = type(error())
    answers = {
        tool_answer(result, {"agent_job_id": JOB}, mode, kind),
        tool_answer(reference, {"agent_job_id": JOB, "reference": "page.png"}, mode, kind),
        tool_answer(cancel, {"agent_job_id": JOB}, mode, kind),
    }
    assert answers == {EXPECTED[name][0]}


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_run_tool(server: LoopbackServer, mode: str, name: str) -> None:
    error = ERRORS[name]
    # A job-state error is about the job the run started; any other is the start's own answer.
    where = "/agents/jobs/" if name.startswith("Job") else "/agents/run/"
    tool = RoeRunAgentTool(
        agent_id=AGENT_ID, input_definitions=INPUT_DEFINITIONS, client=failing(server, error, where)
    )
    args = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}
    assert tool_answer(tool, args, mode, type(error())) == EXPECTED[name][1]


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_loaders(server: LoopbackServer, mode: str, name: str) -> None:
    error = ERRORS[name]
    kind = type(error())
    results = RoeAgentJobResultLoader(
        [JOB], client=failing(server, error, "/agents/jobs/"), continue_on_failure=True
    )
    runs = RoeAgentRunLoader(
        AGENT_ID,
        [{"url": "https://www.roe-ai.com", "question": "Who founded it?"}],
        client=failing(server, error, "/agents/"),
        continue_on_failure=True,
    )
    answers = set()
    for loader in (results, runs):
        answers.add(loaded(loader, mode, kind))
    assert answers == {EXPECTED[name][2]}
    # Without continue_on_failure, every error is raised.
    strict = RoeAgentJobResultLoader([JOB], client=failing(server, error, "/agents/jobs/"))
    with pytest.raises(kind):
        strict.load() if mode == "sync" else asyncio.run(strict.aload())


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_retriever(server: LoopbackServer, mode: str, name: str) -> None:
    error = ERRORS[name]
    client = failing(server, error, "/agents/jobs/results/")
    retriever = RoeJobResultRetriever(agent_id=LISTED_AGENT_ID, client=client, k=3)
    try:
        documents = (
            retriever.invoke("refund")
            if mode == "sync"
            else asyncio.run(retriever.ainvoke("refund"))
        )
    except type(error()):
        answer = "raised"
    else:
        assert documents == []  # every job the query found failed, and was left out
        answer = "skipped"
    assert answer == EXPECTED[name][3]


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_table_tools_follow_the_result_tool(
    server: LoopbackServer, mode: str, name: str
) -> None:
    error = ERRORS[name]
    client = failing(server, error, "/tables/")
    kind = type(error())
    answers = {
        tool_answer(RoeListTablesTool(client=client), {}, mode, kind),
        tool_answer(RoeQueryTableTool(client=client), {"sql": "SELECT 1"}, mode, kind),
    }
    assert answers == {EXPECTED[name][0]}
    # The describe tool tells each table's error in that table's section of an ordinary answer,
    # so that one wrong name does not hide the other tables: the model reads it all the same.
    describe = RoeDescribeTableTool(client=client)
    call: dict[str, Any] = {"type": "tool_call", "id": "call-1", "name": describe.name}
    call["args"] = {"table_names": ["events"]}
    try:
        message = describe.invoke(call) if mode == "sync" else asyncio.run(describe.ainvoke(call))
    except kind:
        assert EXPECTED[name][0] == "raised"
    else:
        assert EXPECTED[name][0] == "model"
        assert str(message.content).startswith("## events\n")
        assert len(str(message.content).splitlines()) == 2  # the section says what went wrong
        assert message.artifact == {"events": {"error": error().message}}


@pytest.mark.parametrize("name", list(ERRORS))
def test_the_table_loader_raises_every_error(server: LoopbackServer, mode: str, name: str) -> None:
    """One query, nothing to skip: the table loader has no `failures`, every error is raised."""
    error = ERRORS[name]
    loader = RoeTableLoader(sql="SELECT 1", client=failing(server, error, "/tables/"))
    with pytest.raises(type(error())):
        loader.load() if mode == "sync" else asyncio.run(loader.aload())


def test_the_readme_table_is_the_policy() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Who gets which error", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == len(SURFACES) + 1 and cells[0] in ERRORS:
            rows[cells[0]] = tuple(re.sub(r"\W.*", "", c) for c in cells[1:])
    assert rows == EXPECTED
