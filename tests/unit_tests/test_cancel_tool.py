"""`RoeCancelAgentJobTool` and `RoeToolkit(include_cancel=...)`: the standard suite, what the
server is asked, and what the model reads."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage

from langchain_roe import (
    AuthenticationError,
    PermissionDeniedError,
    RoeAgentRunLoader,
    RoeCancelAgentJobTool,
    RoeClient,
    RoeRunAgentTool,
    RoeToolkit,
)
from langchain_roe.tools import RoeCancelAgentJobInput
from tests.support.agents import AGENT_ID, INPUT_DEFINITIONS, RUNNING_QUESTION
from tests.support.loopback import LoopbackServer, ServerConfig
from tests.support.mock_api import Script, json_response, mock_client
from tests.support.tool_suite import RoeToolSuite

JOB = "4fbc7396-d05e-4bc2-bad7-6e809c1b3d54"


class TestRoeCancelAgentJobToolStandard(RoeToolSuite):
    @property
    def tool_constructor(self) -> type[RoeCancelAgentJobTool]:
        return RoeCancelAgentJobTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"agent_job_id": JOB}


def call(tool: RoeCancelAgentJobTool, agent_job_id: str, mode: str = "sync") -> ToolMessage:
    request = {
        "type": "tool_call",
        "id": "cancel-1",
        "name": tool.name,
        "args": {"agent_job_id": agent_job_id},
    }
    message = tool.invoke(request) if mode == "sync" else asyncio.run(tool.ainvoke(request))
    assert isinstance(message, ToolMessage)
    return message


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(ServerConfig()) as running:
        yield running


def test_the_name_description_and_schema_say_it_acts() -> None:
    tool = RoeCancelAgentJobTool(api_key="k")
    assert tool.name == "roe_cancel_agent_job"
    assert "produces no outputs" in tool.description
    assert "cannot be undone" in tool.description
    assert tool.args_schema is RoeCancelAgentJobInput
    assert list(tool.args) == ["agent_job_id"]


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_running_job_is_cancelled(server: LoopbackServer, mode: str) -> None:
    job = server.runs._start({"url": "https://x", "question": RUNNING_QUESTION})
    tool = RoeCancelAgentJobTool(client=RoeClient(api_key="k", base_url=server.base_url))
    message = call(tool, job.upper(), mode)
    assert message.status == "success"
    assert message.text.startswith(f"Cancelled Roe agent job {job}: it stops")
    assert message.artifact == {"agent_job_id": job, "cancelled": True}
    assert server.runs.cancels == [job]
    assert server.runs.peek(job) == 5


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_a_finished_or_unknown_job_comes_back_to_the_model(server: LoopbackServer) -> None:
    finished = server.runs._start({"url": "https://x", "question": "q"})
    while server.runs.status(finished) != 3:
        pass
    tool = RoeCancelAgentJobTool(client=RoeClient(api_key="k", base_url=server.base_url))
    refused = call(tool, finished)
    assert refused.status == "error"
    assert f"refused the request for job {finished}: Only a running job can be cancelled" in str(
        refused.content
    )
    unknown = call(tool, "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10")
    assert unknown.status == "error"
    assert "No Roe agent job with id 0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10" in str(unknown.content)


def test_a_bad_id_is_told_to_the_model_before_any_request() -> None:
    script = Script([httpx.Response(204)])
    message = call(RoeCancelAgentJobTool(client=mock_client(script)), "job-7")
    assert message.status == "error"
    assert "'job-7' is not a Roe agent job id" in str(message.content)
    assert script.requests == []


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (403, PermissionDeniedError)]
)
def test_set_up_errors_are_raised_to_the_developer(status: int, error: type[Exception]) -> None:
    tool = RoeCancelAgentJobTool(
        client=mock_client(Script([json_response(status, {"detail": "no"})]))
    )
    with pytest.raises(error):
        call(tool, JOB)


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_the_toolkit_includes_it_only_when_asked(server: LoopbackServer) -> None:
    client = RoeClient(api_key="k", base_url=server.base_url)
    names = [t.name for t in RoeToolkit.from_agents([AGENT_ID], client=client).get_tools()]
    assert "roe_cancel_agent_job" not in names
    tools = RoeToolkit.from_agents([AGENT_ID], client=client, include_cancel=True).get_tools()
    assert [t.name for t in tools][1:] == [
        "roe_get_agent_job_result",
        "roe_read_agent_job_reference",
        "roe_cancel_agent_job",
    ]
    cancel = tools[-1]
    assert isinstance(cancel, RoeCancelAgentJobTool)
    assert cancel.client is client

    async def built() -> list[str]:
        toolkit = await RoeToolkit.afrom_agents([AGENT_ID], client=client, include_cancel=True)
        return [t.name for t in toolkit.get_tools()]

    assert asyncio.run(built())[-1] == "roe_cancel_agent_job"


@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
def test_the_cancelling_options_and_the_tool_pickle(server: LoopbackServer) -> None:
    tool = pickle.loads(pickle.dumps(RoeCancelAgentJobTool(api_key="k")))
    assert (tool.name, tool.client.settings.require_api_key()) == ("roe_cancel_agent_job", "k")
    run = RoeRunAgentTool(
        agent_id=AGENT_ID, input_definitions=INPUT_DEFINITIONS, api_key="k", cancel_on_timeout=True
    )
    assert pickle.loads(pickle.dumps(run)).cancel_on_timeout is True
    loader = RoeAgentRunLoader(
        AGENT_ID,
        [{"url": "https://x", "question": "q"}],
        api_key="k",
        base_url=server.base_url,
        cancel_on_exit=True,
    )
    assert len(loader.load()) == 4
    copy = pickle.loads(pickle.dumps(loader))  # after a load, too
    assert copy.cancel_on_exit is True
    assert copy.cancelled == {}
