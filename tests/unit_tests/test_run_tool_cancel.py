"""`RoeRunAgentTool(cancel_on_timeout=...)`: a job still running at `wait_timeout` is cancelled.

Against the loopback server, whose `RUNNING_QUESTION` jobs stay STARTED until cancelled; each test
asserts what the server was asked to cancel as well as what the model reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from langchain_roe import RoeClient, RoeRunAgentTool, RoeToolkit, ServerError
from langchain_roe._core._http import Call
from tests.support.agents import AGENT_ID, INPUT_DEFINITIONS, RUNNING_QUESTION
from tests.support.loopback import LoopbackServer, ServerConfig

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

KEEPS_RUNNING = {"url": "https://www.roe-ai.com", "question": RUNNING_QUESTION}
FINISHES = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig(outputs=1)) as running:
        yield running


def tool_for(client: RoeClient, **options: Any) -> RoeRunAgentTool:
    return RoeRunAgentTool(
        agent_id=AGENT_ID,
        input_definitions=INPUT_DEFINITIONS,
        client=client,
        wait_timeout=5,
        **options,
    )


def call(tool: RoeRunAgentTool, args: dict[str, Any], mode: str = "sync") -> ToolMessage:
    request = {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}
    message = tool.invoke(request) if mode == "sync" else asyncio.run(tool.ainvoke(request))
    assert isinstance(message, ToolMessage)
    return message


def client_for(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_job_still_running_at_wait_timeout_is_cancelled_and_the_model_told(
    server: LoopbackServer, mode: str
) -> None:
    message = call(tool_for(client_for(server), cancel_on_timeout=True), KEEPS_RUNNING, mode)
    [job] = server.runs.jobs
    assert server.runs.cancels == [job]
    assert server.runs.peek(job) == 5
    assert message.status == "success"
    assert f"Roe agent job {job} was started and was still STARTED after 5s" in message.text
    assert "so it was cancelled: it will produce no outputs" in message.text
    assert message.artifact == {"agent_job_id": job, "status": "STARTED", "cancelled": True}


def test_with_the_option_off_the_job_keeps_running_and_the_model_gets_its_id(
    server: LoopbackServer,
) -> None:
    message = call(tool_for(client_for(server)), KEEPS_RUNNING)
    [job] = server.runs.jobs
    assert server.runs.cancels == []
    assert server.runs.peek(job) == 1
    assert "is still STARTED after 5s" in message.text
    assert "cancel" not in message.text
    assert message.artifact == {"agent_job_id": job, "status": "STARTED"}


def test_a_job_that_finishes_in_time_is_never_cancelled(server: LoopbackServer) -> None:
    message = call(tool_for(client_for(server), cancel_on_timeout=True), FINISHES)
    assert message.status == "success"
    assert "out0" in message.text
    assert server.runs.cancels == []


def test_a_cancel_that_fails_is_said_and_the_id_still_given(server: LoopbackServer) -> None:
    client = client_for(server)
    send = client._request

    def request(call: Call[Any]) -> Any:
        if call.path.endswith("/cancel/"):
            raise ServerError("cancel unavailable", status_code=503)
        return send(call)

    client._request = request  # type: ignore[method-assign]
    message = call(tool_for(client, cancel_on_timeout=True), KEEPS_RUNNING)
    [job] = server.runs.jobs
    assert message.status == "success"
    assert "Cancelling it failed (cancel unavailable): it may still be running." in message.text
    assert f"read them later with roe_get_agent_job_result and agent_job_id {job}" in message.text
    assert message.artifact["cancelled"] is False
    assert server.runs.peek(job) == 1


def test_the_cancellation_goes_to_the_graph_custom_stream(server: LoopbackServer) -> None:
    tool = tool_for(client_for(server), cancel_on_timeout=True)
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([tool]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    request = AIMessage(
        content="", tool_calls=[{"name": tool.name, "args": KEEPS_RUNNING, "id": "c"}]
    )
    events = list(graph.compile().stream({"messages": [request]}, stream_mode="custom"))
    [job] = server.runs.jobs
    assert events[0] == {"event": "roe_job_started", "agent_job_id": job}
    assert events[-1] == {"event": "roe_job_cancelled", "agent_job_id": job}


def test_the_toolkit_passes_the_option_to_its_run_tools(server: LoopbackServer) -> None:
    toolkit = RoeToolkit.from_agents([AGENT_ID], client=client_for(server), cancel_on_timeout=True)
    run = toolkit.get_tools()[0]
    assert isinstance(run, RoeRunAgentTool)
    assert run.cancel_on_timeout is True
    default = RoeToolkit.from_agents([AGENT_ID], client=client_for(server)).get_tools()[0]
    assert getattr(default, "cancel_on_timeout", None) is False
