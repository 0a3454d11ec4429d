"""The run tool's arguments and keys (issue 21): every input its own safe argument, and a job's key
covering the agent, the tool call, its arguments and its conversation, sync and async alike."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from langchain_roe import RoeClient, RoeRunAgentTool
from langchain_roe._core._models import AgentInputDefinition
from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
ARGS = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}
RESERVED = ["run_manager", "callbacks", "config", "self", "model_config", "schema", "name", "args"]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig()) as running:
        yield running


def definitions(*keys: str) -> list[dict[str, Any]]:
    return [{"key": k, "data_type": "text/plain", "description": f"the {k}"} for k in keys]


def tool_over(script: Script, *keys: str) -> RoeRunAgentTool:
    return RoeRunAgentTool(
        agent_id=AGENT_ID,
        input_definitions=definitions(*keys),
        client=mock_client(script),
        wait_timeout=0.3,
    )


def invoke(tool: RoeRunAgentTool, mode: str, args: dict[str, Any], **call: Any) -> ToolMessage:
    tool_call = {"type": "tool_call", "id": call.pop("call_id", "call-1"), "name": tool.name}
    tool_call["args"] = args
    if mode == "async":
        return _checked(asyncio.run(tool.ainvoke(tool_call, **call)))
    return _checked(tool.invoke(tool_call, **call))


def _checked(message: Any) -> ToolMessage:
    assert isinstance(message, ToolMessage)
    return message


def sent_inputs(script: Script) -> dict[str, Any]:
    return dict(json.loads(script.requests[0].content))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_keys_differing_only_in_punctuation_get_distinct_arguments(mode: str) -> None:
    script = Script([json_response(200, JOB), json_response(200, {"status": 1})])
    tool = tool_over(script, "doc-type", "doc_type", "doc.type")
    assert list(tool.args) == ["doc_type_2", "doc_type", "doc_type_3"]
    for name, key in (
        ("doc_type_2", "doc-type"),
        ("doc_type", "doc_type"),
        ("doc_type_3", "doc.type"),
    ):
        assert f"Fills the agent's input {key!r}" in tool.args[name]["description"]
    invoke(tool, mode, {"doc_type_2": "a", "doc_type": "b", "doc_type_3": "c"})
    assert sent_inputs(script) == {"doc-type": "a", "doc_type": "b", "doc.type": "c"}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_reserved_input_keys_build_and_are_sent_under_their_keys(mode: str) -> None:
    script = Script([json_response(200, JOB), json_response(200, {"status": 1})])
    tool = tool_over(script, *RESERVED)
    names = list(tool.args)
    assert len(set(names)) == len(RESERVED)
    assert not set(names) & set(RESERVED)
    message = invoke(tool, mode, {name: f"value {n}" for n, name in enumerate(names)})
    assert message.status == "success"
    assert sent_inputs(script) == {key: f"value {n}" for n, key in enumerate(RESERVED)}


def test_argument_names_are_safe_identifiers_mapped_to_each_key() -> None:
    from langchain_roe._tools._run import argument_names

    keys = ["1st", "", "---", "model_x", "ünïcode", "a b", "a_b", "input_1st"]
    made = argument_names([AgentInputDefinition.model_validate(d) for d in definitions(*keys)])
    assert [d.key for d in made.values()] == keys  # in the definitions' order, one per key
    for name in made:
        assert name.isidentifier()
        assert name.isascii()
        assert not name.startswith(("_", "model_"))
    assert made["input_1st"].key == "input_1st"  # a key that is its own name keeps it


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_same_tool_call_never_starts_a_second_job(server: LoopbackServer, mode: str) -> None:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    tool = RoeRunAgentTool.from_agent(AGENT_ID, client=client)
    first = invoke(tool, mode, ARGS, call_id="call-7")
    again = invoke(tool, mode, ARGS, call_id="call-7")  # a graph retrying the same tool call
    assert first.artifact["agent_job_id"] == again.artifact["agent_job_id"]
    assert server.runs.created == 1
    invoke(tool, mode, ARGS, call_id="call-8")
    assert server.runs.created == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_reused_call_id_with_other_arguments_or_thread_starts_its_own_job(
    server: LoopbackServer, mode: str
) -> None:
    client = RoeClient(api_key="loopback-key", base_url=server.base_url)
    tool = RoeRunAgentTool.from_agent(AGENT_ID, client=client)
    thread = {"configurable": {"thread_id": "conversation-1"}}
    first = invoke(tool, mode, ARGS, call_id="call-1", config=thread)
    other_args = invoke(tool, mode, {**ARGS, "question": "Where?"}, call_id="call-1", config=thread)
    other_thread = {"configurable": {"thread_id": "conversation-2"}}
    other_conversation = invoke(tool, mode, ARGS, call_id="call-1", config=other_thread)
    retried = invoke(tool, mode, ARGS, call_id="call-1", config=thread)
    ids = [m.artifact["agent_job_id"] for m in (first, other_args, other_conversation, retried)]
    assert len(set(ids[:3])) == 3
    assert ids[3] == ids[0]
    assert server.runs.created == 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_409_on_the_run_tool_is_retried_under_its_key(mode: str) -> None:
    with LoopbackServer(ServerConfig(idempotency_conflicts=1)) as server:
        client = RoeClient(api_key="loopback-key", base_url=server.base_url)
        message = invoke(RoeRunAgentTool.from_agent(AGENT_ID, client=client), mode, ARGS)
        assert message.status == "success"
        assert server.runs.created == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_input_that_accepts_several_files_sends_every_one(mode: str) -> None:
    script = Script([json_response(200, JOB), json_response(200, {"status": 1})])
    documents = {"key": "documents", "data_type": "application/pdf", "description": "The PDFs"}
    tool = RoeRunAgentTool(
        agent_id=AGENT_ID,
        input_definitions=[{**documents, "accepts_multiple_files": True}],
        client=mock_client(script),
        wait_timeout=0.3,
    )
    ids = ["3c90c3cc-0d44-4b50-8888-8dd25736052a", "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"]
    invoke(tool, mode, {"documents": ids})
    fields = urllib.parse.parse_qs(script.requests[0].content.decode())
    assert fields == {"documents": ids}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_409_past_the_retries_tells_the_model_a_job_may_be_running(mode: str) -> None:
    conflict = {"detail": "A request with this Idempotency-Key is still being processed."}
    script = Script([json_response(409, conflict)])
    tool = RoeRunAgentTool(
        agent_id=AGENT_ID,
        input_definitions=definitions("question"),
        client=mock_client(script, max_retries=1),
    )
    message = invoke(tool, mode, {"question": "q"})
    assert message.status == "error"
    assert "its job may be running already" in str(message.content)
    assert len({r.headers["Idempotency-Key"] for r in script.requests}) == 1
    assert len(script.requests) == 2
