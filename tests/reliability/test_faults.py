"""Against a real server on loopback that fails on purpose: nothing is lost, every call ends.

The server runs in a thread of this process; only 127.0.0.1 may be reached. Retries and polls sleep
on the suite's fake clock, so faults cost no real waiting.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from langchain_roe import (
    APITimeoutError,
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeClient,
    RoeError,
)
from langchain_roe._convert._documents import readable_value
from langchain_roe._core._models import AgentDatum
from tests.support.loopback import LoopbackServer, ServerConfig, job_ids, synthetic_outputs

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

FAULTS = ServerConfig(server_errors=0.10, drops=0.05, rate_limits=0.03, malformed=0.02, seed=11)


@pytest.fixture
def faulty_server() -> Iterator[LoopbackServer]:
    with LoopbackServer(FAULTS) as server:
        yield server


def client_for(server: LoopbackServer, **settings: Any) -> RoeClient:
    settings.setdefault("max_retries", 3)
    settings.setdefault("timeout", 5)
    return RoeClient(api_key="loopback-key", base_url=server.base_url, **settings)


def expected_content(agent_job_id: str, config: ServerConfig) -> list[str]:
    outputs = synthetic_outputs(agent_job_id, config.outputs, config.value_bytes)
    return [readable_value(AgentDatum.model_validate(o)) for o in outputs]


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-job"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_loading_500_jobs_through_faults_loses_nothing(
    faulty_server: LoopbackServer, batch: bool, mode: str
) -> None:
    wanted = job_ids(500)
    loader = RoeAgentJobResultLoader(
        wanted,
        client=client_for(faulty_server),
        continue_on_failure=True,
        use_batch_endpoint=batch,
        batch_size=25,
        max_concurrency=8,
    )
    documents = loader.load() if mode == "sync" else asyncio.run(loader.aload())
    loaded: dict[str, list[str]] = {}
    for document in documents:
        loaded.setdefault(document.metadata["agent_job_id"], []).append(document.page_content)
    assert set(loaded) | set(loader.failures) == set(wanted)
    assert not set(loaded) & set(loader.failures)
    for agent_job_id, contents in loaded.items():
        assert contents == expected_content(agent_job_id, FAULTS), agent_job_id
    assert all(isinstance(error, RoeError) for error in loader.failures.values())
    assert all(error.agent_job_id == i for i, error in loader.failures.items())
    assert len(loaded) > 400  # retries carried almost every job through
    assert faulty_server.requests > (20 if batch else 500)


def test_a_tool_node_makes_100_calls_through_faults(faulty_server: LoopbackServer) -> None:
    tool = RoeAgentJobResultTool(client=client_for(faulty_server))
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([tool]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    ids = job_ids(100)
    calls = [
        {"name": tool.name, "args": {"agent_job_id": i}, "id": f"c{n}"} for n, i in enumerate(ids)
    ]
    state = graph.compile().invoke({"messages": [AIMessage(content="", tool_calls=calls)]})
    messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert sorted(m.tool_call_id for m in messages) == sorted(str(c["id"]) for c in calls)
    for message in messages:
        if message.status == "success":
            agent_job_id = message.artifact["agent_job_id"]
            assert message.artifact["outputs"] == synthetic_outputs(agent_job_id, 4, 200)
        else:
            assert "Try again later" in message.text or "wait" in message.text
    assert sum(m.status == "success" for m in messages) > 80


def finishes(call: Callable[[], Any], within: float = 60.0) -> BaseException | None:
    """Run `call` in a thread; the error it raised. Fails the test if it has not ended in time
    (a safety net against a hang, not a speed check)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
        except BaseException as error:  # handed back to the test
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(within)
    assert outcome, "the call did not end: a timeout is not applied"
    return outcome[0]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("component", ["client", "loader", "tool"])
def test_every_call_to_a_black_hole_ends_with_a_timeout_error(mode: str, component: str) -> None:
    with LoopbackServer(ServerConfig(black_hole=True)) as server:
        client = client_for(server, timeout=0.2, max_retries=1)
        agent_job_id = job_ids(1)[0]
        tool = RoeAgentJobResultTool(client=client)
        tool_call = {
            "type": "tool_call",
            "id": "c",
            "name": tool.name,
            "args": {"agent_job_id": agent_job_id},
        }
        loader = RoeAgentJobResultLoader(agent_job_id, client=client)
        calls: dict[tuple[str, str], Callable[[], Any]] = {
            ("client", "sync"): lambda: client.get_result(agent_job_id),
            ("client", "async"): lambda: asyncio.run(client.aget_result(agent_job_id)),
            ("loader", "sync"): loader.load,
            ("loader", "async"): lambda: asyncio.run(loader.aload()),
            ("tool", "sync"): lambda: tool.invoke(tool_call),
            ("tool", "async"): lambda: asyncio.run(tool.ainvoke(tool_call)),
        }
        results: list[Any] = []
        error = finishes(lambda: results.append(calls[component, mode]()))
        if component == "tool":  # the tool hands the model an error message instead
            assert error is None
            assert results[0].status == "error"
            assert "failed to answer" in results[0].text
        else:
            assert isinstance(error, APITimeoutError)
            assert "within the 0.2s timeout" in str(error)
        assert server.requests == 2  # the first attempt and its one retry, nothing more


def test_malformed_only_server_gives_typed_errors() -> None:
    with LoopbackServer(ServerConfig(malformed=1.0)) as server:
        loader = RoeAgentJobResultLoader(
            job_ids(3), client=client_for(server, max_retries=2), continue_on_failure=True
        )
        assert loader.load() == []
        assert len(loader.failures) == 3
        assert all(isinstance(e, RoeError) for e in loader.failures.values())
        assert json.dumps({k: str(v) for k, v in loader.failures.items()})


def test_bad_input_sends_nothing_to_a_real_server() -> None:
    with LoopbackServer() as server:
        client = client_for(server)
        tool = RoeAgentJobResultTool(client=client)
        for bad in ("job-42", "", "../../v1/admin"):
            with pytest.raises(ValueError, match="must be a UUID"):
                client.get_result(bad)
            with pytest.raises(ValueError, match="must be a UUID"):
                RoeAgentJobResultLoader([job_ids(1)[0], bad], client=client)
            message = tool.invoke(
                {"type": "tool_call", "id": "c", "name": tool.name, "args": {"agent_job_id": bad}}
            )
            assert message.status == "error"
        assert server.requests == 0
        client.get_result(job_ids(1)[0])
        assert server.requests == 1  # the counter does count what arrives
