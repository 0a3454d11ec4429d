"""The tool against recorded sessions: the standard integration suite, a ToolNode and an agent."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from examples._offline import tool_calls_then_answer
from langchain_roe import RoeAgentJobResultTool, RoeClient
from tests.support import example_jobs as jobs

REPLAYED_KEY = "replayed-key-filtered-from-cassettes"


@pytest.mark.vcr("client_result_success.yaml")
class TestRoeAgentJobResultToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[RoeAgentJobResultTool]:
        return RoeAgentJobResultTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": REPLAYED_KEY}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"agent_job_id": jobs.WEB}


JOBS = [jobs.WEB, jobs.RUNNING, jobs.UNKNOWN]


def check_messages(messages: list[ToolMessage]) -> None:
    by_call = {m.tool_call_id: m for m in messages}
    finished, running, unknown = (by_call[f"call-{n}"] for n in range(3))
    assert finished.status == "success"
    assert '"company_name": "Roe AI"' in finished.content
    assert finished.artifact["agent_job_id"] == jobs.WEB
    assert running.status == "error"
    assert f"job {jobs.RUNNING} is still running (STARTED)" in running.content
    assert "Call this tool again later" in running.content
    assert unknown.status == "error"
    assert f"No Roe agent job with id {jobs.UNKNOWN}" in unknown.content
    for message in messages:
        assert REPLAYED_KEY not in str(message.content)


def ai_calls() -> AIMessage:
    calls = [
        {"name": "roe_get_agent_job_result", "args": {"agent_job_id": i}, "id": f"call-{n}"}
        for n, i in enumerate(JOBS)
    ]
    return AIMessage(content="", tool_calls=calls)


def tool_graph() -> Any:
    """A graph of one ToolNode, as an agent runs it (a ToolNode needs a graph's runtime)."""
    node = ToolNode([RoeAgentJobResultTool(client=RoeClient(api_key=REPLAYED_KEY))])
    graph = StateGraph(MessagesState)
    graph.add_node("tools", node)
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    return graph.compile()


@pytest.mark.vcr("tool_agent_calls.yaml")
def test_tool_node_completes_with_a_message_per_call() -> None:
    output = tool_graph().invoke({"messages": [ai_calls()]})
    check_messages([m for m in output["messages"] if isinstance(m, ToolMessage)])


@pytest.mark.vcr("tool_agent_calls.yaml")
async def test_tool_node_completes_async() -> None:
    output = await tool_graph().ainvoke({"messages": [ai_calls()]})
    check_messages([m for m in output["messages"] if isinstance(m, ToolMessage)])


@pytest.mark.vcr("tool_agent_calls.yaml")
def test_an_agent_run_survives_unfinished_and_unknown_jobs() -> None:
    tool = RoeAgentJobResultTool(client=RoeClient(api_key=REPLAYED_KEY))
    agent = create_agent(tool_calls_then_answer(tool.name, JOBS), [tool])
    state = agent.invoke({"messages": [{"role": "user", "content": "What did these jobs find?"}]})
    messages = state["messages"]
    check_messages([m for m in messages if isinstance(m, ToolMessage)])
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].text.startswith("I have read every job")
