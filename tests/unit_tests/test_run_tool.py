"""`RoeRunAgentTool` and `RoeToolkit` against the loopback server: schema, runs, waits, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from langchain_roe import (
    NotFoundError,
    PermissionDeniedError,
    RoeAgentJobResultTool,
    RoeClient,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
    RoeToolkit,
)
from langchain_roe._tools._run import idempotency_key, tool_name
from tests.support.agents import AGENT_ID, AGENT_NAME, FAILING_QUESTION, INPUT_DEFINITIONS
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

ARGS = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}
_SERVER: LoopbackServer | None = None


def shared_server() -> LoopbackServer:
    """One loopback server for the standard suites, whose parameters are properties."""
    global _SERVER
    if _SERVER is None:
        _SERVER = LoopbackServer(ServerConfig()).__enter__()
    return _SERVER


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig()) as running:
        yield running


def tool_for(server: LoopbackServer, **options: Any) -> RoeRunAgentTool:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    return RoeRunAgentTool.from_agent(AGENT_ID, client=client, **options)


def call(tool: BaseTool, args: dict[str, Any], call_id: str = "call-1") -> ToolMessage:
    message = tool.invoke({"type": "tool_call", "id": call_id, "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


class TestRoeRunAgentToolStandard(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[RoeRunAgentTool]:
        return RoeRunAgentTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"agent_id": AGENT_ID, "input_definitions": INPUT_DEFINITIONS, "api_key": "test-key"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return ARGS


class TestRoeRunAgentToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[RoeRunAgentTool]:
        return RoeRunAgentTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {
            "agent_id": AGENT_ID,
            "input_definitions": INPUT_DEFINITIONS,
            "api_key": "loopback-key",
            "base_url": shared_server().base_url,
        }

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return ARGS


def test_the_schema_name_and_description_come_from_the_agent(server: LoopbackServer) -> None:
    tool = tool_for(server)
    assert tool.name == "roe_run_web_insights_company_facts_5eb1a2c3"
    assert AGENT_NAME in tool.description
    assert "url (text/x-url); question (text/plain)" in tool.description
    assert set(tool.args) == {"url", "question"}
    assert "Example: https://www.roe-ai.com" in tool.args["url"]["description"]
    assert server.requests == 1  # the version, read once


def test_explicit_input_definitions_need_no_request() -> None:
    script = Script([json_response(500, {})])
    tool = RoeRunAgentTool(
        agent_id=AGENT_ID, input_definitions=INPUT_DEFINITIONS, client=mock_client(script)
    )
    assert set(tool.args) == {"url", "question"}
    assert script.requests == []


@pytest.mark.parametrize(
    ("name", "agent_id"),
    [("Web Insights: company facts", AGENT_ID), ("", AGENT_ID), ("é" * 200, AGENT_ID)],
)
def test_tool_names_are_valid_and_unique_per_agent(name: str, agent_id: str) -> None:
    made = tool_name(name, agent_id)
    other = tool_name(name, "00000000-0000-4000-8000-000000000001")
    assert made != other
    for one in (made, other):
        assert len(one) <= 64
        assert one.replace("_", "a").isalnum()
        assert one.isascii()


def test_a_run_that_finishes_answers_with_its_outputs(server: LoopbackServer) -> None:
    message = call(tool_for(server), ARGS)
    assert message.status == "success"
    assert "Roe agent job" in str(message.content)
    assert "out0" in str(message.content)
    assert message.artifact["outputs"]
    assert server.runs.created == 1


def test_the_same_tool_call_never_starts_a_second_job(server: LoopbackServer) -> None:
    tool = tool_for(server)
    first = call(tool, ARGS, "call-7")
    again = call(tool, ARGS, "call-7")  # a graph retrying the same tool call
    assert first.artifact["agent_job_id"] == again.artifact["agent_job_id"]
    assert server.runs.created == 1
    call(tool, ARGS, "call-8")
    assert server.runs.created == 2
    assert idempotency_key(AGENT_ID, None) != idempotency_key(AGENT_ID, None)


def test_a_job_still_running_at_the_deadline_is_not_an_error(server: LoopbackServer) -> None:
    message = call(tool_for(server, wait_timeout=0.3), ARGS)
    assert message.status == "success"
    job = message.artifact["agent_job_id"]
    assert f"Roe agent job {job} was started and is still STARTED" in str(message.content)
    assert "roe_get_agent_job_result" in str(message.content)
    assert message.artifact["status"] == "STARTED"


def test_a_failed_job_is_an_error_the_model_reads(server: LoopbackServer) -> None:
    message = call(tool_for(server), {**ARGS, "question": FAILING_QUESTION})
    assert message.status == "error"
    assert "ended in FAILURE" in str(message.content)
    assert "synthetic failure" in str(message.content)


def run_tool(script: Script) -> RoeRunAgentTool:
    return RoeRunAgentTool(
        agent_id=AGENT_ID, input_definitions=INPUT_DEFINITIONS, client=mock_client(script)
    )


def test_inputs_the_server_refuses_come_back_to_the_model() -> None:
    tool = run_tool(Script([json_response(400, ["Missing input key document"])]))
    message = call(tool, ARGS)
    assert message.status == "error"
    assert "refused these inputs: Missing input key document" in str(message.content)


@pytest.mark.parametrize(("status", "error"), [(403, PermissionDeniedError), (404, NotFoundError)])
def test_no_credits_or_no_agent_go_to_the_developer(status: int, error: type[Exception]) -> None:
    tool = run_tool(Script([json_response(status, {"detail": "Insufficient credits"})]))
    with pytest.raises(error):
        call(tool, ARGS)


def test_a_file_input_takes_a_file_id_or_url_never_a_local_path() -> None:
    definitions = [{"key": "document", "data_type": "application/pdf", "description": "A PDF"}]
    script = Script(
        [
            json_response(200, "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"),
            json_response(200, {"status": 1}),
        ]
    )
    tool = RoeRunAgentTool(
        agent_id=AGENT_ID,
        input_definitions=definitions,
        client=mock_client(script),
        wait_timeout=0.3,
    )
    assert "Roe file id" in tool.args["document"]["description"]
    refused = call(tool, {"document": "/home/me/secret.pdf"})
    assert refused.status == "error"
    assert "Local paths are not accepted" in str(refused.content)
    assert script.requests == []
    accepted = call(tool, {"document": "https://example.com/report.pdf"})
    assert accepted.status == "success"


def test_progress_goes_to_the_graph_custom_stream(server: LoopbackServer) -> None:
    tool = tool_for(server)
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([tool]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    request = AIMessage(content="", tool_calls=[{"name": tool.name, "args": ARGS, "id": "c1"}])
    events = list(graph.compile().stream({"messages": [request]}, stream_mode="custom"))
    assert events[0]["event"] == "roe_job_started"
    statuses = [e["status"] for e in events if e["event"] == "roe_job_status"]
    assert statuses == ["STARTED", "SUCCESS"]


class RunThenRead(BaseChatModel):
    """A scripted model: run the agent, then read the job it was told is still running."""

    @property
    def _llm_type(self) -> str:
        return "run-then-read"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, AIMessage]:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        said = [m for m in messages if isinstance(m, ToolMessage)]
        if not said:
            calls = [{"name": RUN_TOOL_NAME, "args": ARGS, "id": "run-1"}]
            reply = AIMessage(content="", tool_calls=calls)
        elif len(said) == 1:
            job = said[0].artifact["agent_job_id"]
            read = {
                "name": "roe_get_agent_job_result",
                "args": {"agent_job_id": job},
                "id": "read-1",
            }
            reply = AIMessage(content="", tool_calls=[read])
        else:
            reply = AIMessage(content="Done: " + str(said[-1].content)[:40])
        return ChatResult(generations=[ChatGeneration(message=reply)])


RUN_TOOL_NAME = "roe_run_web_insights_company_facts_5eb1a2c3"


def test_an_agent_runs_a_job_hears_it_is_running_then_reads_it(server: LoopbackServer) -> None:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    toolkit = RoeToolkit.from_agents([AGENT_ID], client=client, wait_timeout=0.3)
    assert [t.name for t in toolkit.get_tools()] == [
        RUN_TOOL_NAME,
        "roe_get_agent_job_result",
        "roe_read_agent_job_reference",
    ]
    agent = create_agent(RunThenRead(), toolkit.get_tools())
    state = agent.invoke({"messages": [{"role": "user", "content": "What does the page say?"}]})
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert "is still STARTED" in str(tool_messages[0].content)
    assert tool_messages[1].status == "success"
    assert "out0" in str(tool_messages[1].content)
    assert server.runs.created == 1


def test_the_toolkit_shares_one_client(server: LoopbackServer) -> None:
    toolkit = RoeToolkit.from_agents([AGENT_ID], api_key="k", base_url=server.base_url)
    run, read, cited = toolkit.get_tools()
    assert isinstance(run, RoeRunAgentTool)
    assert isinstance(read, RoeAgentJobResultTool)
    assert isinstance(cited, RoeReadJobReferenceTool)
    assert run.client is read.client
    assert cited.client is read.client


async def test_async_from_agent_and_run(server: LoopbackServer) -> None:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    tool = await RoeRunAgentTool.afrom_agent(AGENT_ID, client=client)
    message = await tool.ainvoke({"type": "tool_call", "id": "a1", "name": tool.name, "args": ARGS})
    assert message.status == "success"
    assert server.runs.created == 1
    toolkit = await RoeToolkit.afrom_agents([AGENT_ID], client=client)
    assert len(toolkit.get_tools()) == 3


def test_bad_agent_ids_fail_at_construction_before_any_request() -> None:
    script = Script([json_response(200, {})])
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        RoeRunAgentTool(
            agent_id="my-agent", input_definitions=INPUT_DEFINITIONS, client=mock_client(script)
        )
    with pytest.raises(ValueError, match="agent_id must be a UUID"):
        RoeToolkit.from_agents(["not-an-id"], client=mock_client(script))
    with pytest.raises(ValueError, match="agent_ids is empty"):
        RoeToolkit.from_agents([], client=mock_client(script))
    assert script.requests == []


def test_one_agent_id_as_a_string_is_one_agent(server: LoopbackServer) -> None:
    toolkit = RoeToolkit.from_agents(AGENT_ID, api_key="k", base_url=server.base_url)
    assert len(toolkit.get_tools()) == 3
