"""Every option of the result, reference and cancel tools and of `RoeToolkit`, seen where it acts.

Each option is tested at the surface that takes it, by what reaches the server (the loopback
server keeps every request whole: `tests/support/wire.py`) or by what the tool answers, sync and
async alike. An option that is accepted but lost on its way to the request fails here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage

from langchain_roe import (
    ConfigurationError,
    RoeAgentJobResultTool,
    RoeCancelAgentJobTool,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
    RoeToolkit,
)
from tests.support.agents import AGENT_ID
from tests.support.example_jobs import RUNNING
from tests.support.loopback import LoopbackServer, ServerConfig, job_ids
from tests.support.mock_api import mock_client
from tests.support.references import content
from tests.support.wire import Recorder, loopback_client, sent, tool_call

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

JOB = job_ids(1)[0]
PNG = f"2-{JOB[:8]}.png"
MARKDOWN = f"0-{JOB[:8]}.md"
REFERENCE_BYTES = 3000
PNG_SIZE = len(content(JOB, PNG, REFERENCE_BYTES))


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    config = ServerConfig(outputs=4, value_bytes=1500, references=4, reference_bytes=3000)
    with LoopbackServer(config) as running:
        yield running


def text_of(message: ToolMessage) -> str:
    assert isinstance(message.content, str), message.content
    return message.content


# The result tool ------------------------------------------------------------------------------


def test_result_tool_asks_for_the_canonical_id_once(server: LoopbackServer, mode: str) -> None:
    tool = RoeAgentJobResultTool(client=loopback_client(server))
    message = tool_call(tool, mode, agent_job_id=f"  {JOB.upper()} ")
    assert message.status == "success"
    assert [(s.method, s.path) for s in sent(server)] == [("GET", f"/v1/agents/jobs/{JOB}/result/")]


@pytest.mark.parametrize(
    ("output_keys", "shown", "left_out"),
    [
        (None, ["out0", "out1", "out2", "out3"], []),
        (["out1", "out3"], ["out1", "out3"], ["out0", "out2"]),
        (["out2"], ["out2"], ["out0", "out1", "out3"]),
    ],
)
def test_result_tool_output_keys(
    server: LoopbackServer,
    mode: str,
    output_keys: list[str] | None,
    shown: list[str],
    left_out: list[str],
) -> None:
    tool = RoeAgentJobResultTool(client=loopback_client(server))
    args: dict[str, Any] = {"agent_job_id": JOB}
    if output_keys is not None:
        args["output_keys"] = output_keys
    text = text_of(tool_call(tool, mode, **args))
    for key in shown:
        assert f"Output {key[-1]}" in text
    for key in left_out:
        assert f"Output {key[-1]}" not in text


def test_result_tool_empty_output_keys_is_refused_before_any_request(
    server: LoopbackServer, mode: str
) -> None:
    tool = RoeAgentJobResultTool(client=loopback_client(server))
    message = tool_call(tool, mode, agent_job_id=JOB, output_keys=[])
    assert message.status == "error"
    assert "output_keys is empty" in text_of(message)
    assert sent(server) == []


@pytest.mark.parametrize("budget", [500, 2000, 5000])
def test_result_tool_max_output_chars(server: LoopbackServer, mode: str, budget: int) -> None:
    whole = text_of(
        tool_call(RoeAgentJobResultTool(client=loopback_client(server)), mode, agent_job_id=JOB)
    )
    assert len(whole) > 5000  # four outputs of 1,500 characters: every budget below cuts it
    tool = RoeAgentJobResultTool(client=loopback_client(server), max_output_chars=budget)
    text = text_of(tool_call(tool, mode, agent_job_id=JOB))
    assert len(text) <= budget
    assert len(text) > budget * 0.8  # cut to the budget, not far below it
    assert "characters left out" in text


def test_result_tool_max_output_chars_below_the_least_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="max_output_chars"):
        RoeAgentJobResultTool(api_key="k", max_output_chars=499)


def test_result_tool_response_format_content_drops_the_artifact(
    server: LoopbackServer, mode: str
) -> None:
    with_artifact = tool_call(
        RoeAgentJobResultTool(client=loopback_client(server)), mode, agent_job_id=JOB
    )
    assert with_artifact.artifact["agent_job_id"] == JOB
    tool = RoeAgentJobResultTool(client=loopback_client(server), response_format="content")
    assert tool_call(tool, mode, agent_job_id=JOB).artifact is None


def test_result_tool_handle_tool_error_off_raises(server: LoopbackServer, mode: str) -> None:
    tool = RoeAgentJobResultTool(client=loopback_client(server), handle_tool_error=False)
    with pytest.raises(Exception, match="not a Roe agent job id"):
        tool_call(tool, mode, agent_job_id="not-a-uuid")
    assert sent(server) == []


# The reference tool ---------------------------------------------------------------------------


def reference_path(resource_id: str) -> str:
    return f"/v1/agents/jobs/{JOB}/references/{resource_id}/"


def read_reference(server: LoopbackServer, mode: str, reference: str) -> ToolMessage:
    """The reference tool, with its defaults, reading one of JOB's references."""
    tool = RoeReadJobReferenceTool(client=loopback_client(server))
    return tool_call(tool, mode, agent_job_id=JOB, reference=reference)


@pytest.mark.parametrize(
    "reference",
    [MARKDOWN, f"{{base_url}}/v1/agents/jobs/{JOB}/references/{MARKDOWN}/"],
    ids=["resource id", "reference URL"],
)
def test_reference_tool_reads_what_it_is_given(
    server: LoopbackServer, mode: str, reference: str
) -> None:
    tool = RoeReadJobReferenceTool(client=loopback_client(server))
    message = tool_call(
        tool, mode, agent_job_id=JOB.upper(), reference=reference.format(base_url=server.base_url)
    )
    assert message.status == "success"
    (request,) = sent(server)
    assert (request.method, request.path) == ("GET", reference_path(MARKDOWN))
    assert "range" not in request.headers  # text by its name: read whole at once
    assert message.artifact["size"] == len(content(JOB, MARKDOWN, REFERENCE_BYTES))


def test_reference_tool_artifact_key_is_the_query(server: LoopbackServer, mode: str) -> None:
    key = f"agent-job-{JOB}/extraction_1.json"
    message = read_reference(server, mode, f" {key} ")
    assert message.artifact["kind"] == "artifact"
    (request,) = sent(server)
    assert request.path == f"/v1/agents/jobs/{JOB}/artifacts/result/"
    assert request.param("artifact_key") == key


def test_reference_tool_probes_a_file_that_is_not_text(server: LoopbackServer, mode: str) -> None:
    message = read_reference(server, mode, PNG)
    (probe,) = sent(server)  # image_blocks off: the first byte says enough
    assert probe.path == reference_path(PNG)
    assert probe.headers["range"] == "bytes=0-0"
    assert f"{PNG_SIZE:,} bytes" in text_of(message)
    assert message.artifact["size"] == PNG_SIZE


@pytest.mark.parametrize(
    ("max_image_bytes", "shown"),
    [(None, True), (PNG_SIZE, True), (PNG_SIZE - 1, False), (1, False)],
    ids=["default", "exactly its size", "one byte under", "one byte"],
)
def test_reference_tool_image_blocks_and_max_image_bytes(
    server: LoopbackServer, mode: str, max_image_bytes: int | None, shown: bool
) -> None:
    given = {} if max_image_bytes is None else {"max_image_bytes": max_image_bytes}
    tool = RoeReadJobReferenceTool(client=loopback_client(server), image_blocks=True, **given)
    message = tool_call(tool, mode, agent_job_id=JOB, reference=PNG)
    requests = sent(server)
    assert requests[0].headers["range"] == "bytes=0-0"
    if shown:
        blocks = message.content
        assert isinstance(blocks, list)
        assert all(isinstance(block, dict) for block in blocks)
        assert [block["type"] for block in blocks if isinstance(block, dict)] == ["text", "image"]
        assert isinstance(blocks[1], dict)
        assert blocks[1]["mime_type"] == "image/png"
        assert len(requests) == 2  # the probe, then the image itself, whole
        assert "range" not in requests[1].headers
    else:
        text = text_of(message)
        assert f"larger than max_image_bytes={max_image_bytes:,}" in text
        assert len(requests) == 1


def test_reference_tool_without_image_blocks_never_shows_an_image(
    server: LoopbackServer, mode: str
) -> None:
    tool = RoeReadJobReferenceTool(client=loopback_client(server), max_image_bytes=10 * PNG_SIZE)
    message = tool_call(tool, mode, agent_job_id=JOB, reference=PNG)
    assert "not text" in text_of(message)
    assert "max_image_bytes" not in text_of(message)
    assert len(sent(server)) == 1


@pytest.mark.parametrize("most", [0, -1])
def test_reference_tool_max_image_bytes_below_one_is_refused(most: int) -> None:
    with pytest.raises(ConfigurationError, match="max_image_bytes"):
        RoeReadJobReferenceTool(api_key="k", max_image_bytes=most)


def test_reference_tool_max_output_chars(server: LoopbackServer, mode: str) -> None:
    whole = text_of(read_reference(server, mode, MARKDOWN))
    assert len(whole) > 2500
    tool = RoeReadJobReferenceTool(client=loopback_client(server), max_output_chars=800)
    text = text_of(tool_call(tool, mode, agent_job_id=JOB, reference=MARKDOWN))
    assert len(text) <= 800
    assert "characters left out" in text


# The cancel tool -------------------------------------------------------------------------------


def test_cancel_tool_cancels_the_canonical_id(mode: str) -> None:
    recorder = Recorder()
    tool = RoeCancelAgentJobTool(client=recorder.client())
    message = tool_call(tool, mode, agent_job_id=f"{{{RUNNING.upper()}}}")
    assert message.status == "success"
    assert message.artifact == {"agent_job_id": RUNNING, "cancelled": True}
    assert [(s.method, s.path) for s in recorder.sent] == [
        ("POST", f"/v1/agents/jobs/{RUNNING}/cancel/")
    ]
    assert recorder.api.cancels == [RUNNING]


def test_cancel_tool_refuses_a_bad_id_before_any_request(mode: str) -> None:
    recorder = Recorder()
    message = tool_call(RoeCancelAgentJobTool(client=recorder.client()), mode, agent_job_id="job-1")
    assert message.status == "error"
    assert recorder.sent == []


# RoeToolkit ------------------------------------------------------------------------------------


def build_toolkit(mode: str, agent_ids: Any, **options: Any) -> RoeToolkit:
    if mode == "sync":
        return RoeToolkit.from_agents(agent_ids, **options)
    return asyncio.run(RoeToolkit.afrom_agents(agent_ids, **options))


@pytest.mark.parametrize("include_cancel", [False, True])
def test_toolkit_include_cancel(server: LoopbackServer, mode: str, include_cancel: bool) -> None:
    toolkit = build_toolkit(
        mode, AGENT_ID, client=loopback_client(server), include_cancel=include_cancel
    )
    kinds = [type(tool) for tool in toolkit.get_tools()]
    expected: list[type] = [RoeRunAgentTool, RoeAgentJobResultTool, RoeReadJobReferenceTool]
    assert kinds == expected + ([RoeCancelAgentJobTool] if include_cancel else [])


def test_toolkit_passes_each_option_to_its_tools(server: LoopbackServer, mode: str) -> None:
    toolkit = build_toolkit(
        mode,
        [AGENT_ID],
        api_key="toolkit-key",
        base_url=server.base_url,
        organization_id="0a1b2c3d-0000-4000-8000-000000000001",
        max_retries=1,
        timeout=17.0,
        include_cancel=True,
        max_output_chars=900,
        wait_timeout=42.0,
        cancel_on_timeout=True,
        skip_cache=True,
    )
    run, result, reference, cancel = toolkit.get_tools()
    assert isinstance(run, RoeRunAgentTool)
    assert (run.wait_timeout, run.cancel_on_timeout, run.skip_cache) == (42.0, True, True)
    assert isinstance(result, RoeAgentJobResultTool)
    assert isinstance(reference, RoeReadJobReferenceTool)
    assert isinstance(cancel, RoeCancelAgentJobTool)
    for tool in (run, result, reference):
        assert tool.max_output_chars == 900
    clients = {id(tool.client) for tool in (run, result, reference, cancel)}
    assert len(clients) == 1  # one client, built once from the settings
    settings = run.client.settings
    assert (settings.timeout, settings.max_retries) == (17.0, 1)
    # The version was read with the settings given, and the result tool's text keeps the budget.
    (version,) = sent(server)
    assert version.path == f"/v1/agents/{AGENT_ID}/versions/current/"
    assert version.headers["authorization"] == "Bearer toolkit-key"
    assert version.param("organization_id") == "0a1b2c3d-0000-4000-8000-000000000001"
    text = text_of(tool_call(result, mode, agent_job_id=JOB))
    assert len(text) <= 900
    assert "characters left out" in text


def test_toolkit_reads_each_agents_version_once(server: LoopbackServer, mode: str) -> None:
    toolkit = build_toolkit(mode, (AGENT_ID, AGENT_ID.upper()), client=loopback_client(server))
    assert [type(tool) for tool in toolkit.get_tools()[:2]] == [RoeRunAgentTool] * 2
    assert [s.path for s in sent(server)] == [f"/v1/agents/{AGENT_ID}/versions/current/"] * 2


def test_toolkit_refuses_no_agents_before_any_request(server: LoopbackServer, mode: str) -> None:
    with pytest.raises(ValueError, match="agent_ids is empty"):
        build_toolkit(mode, [], client=loopback_client(server))
    with pytest.raises(ValueError, match="agent_id"):
        build_toolkit(mode, ["not-a-uuid"], client=loopback_client(server))
    assert sent(server) == []


def test_toolkit_refuses_a_client_and_settings_together(server: LoopbackServer, mode: str) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        build_toolkit(mode, AGENT_ID, client=loopback_client(server), timeout=5.0)
    assert sent(server) == []


def test_reference_tool_refuses_a_url_off_the_api(server: LoopbackServer, mode: str) -> None:
    off = f"https://elsewhere.example.com/v1/agents/jobs/{JOB}/references/{MARKDOWN}/"
    message = read_reference(server, mode, off)
    assert message.status == "error"
    assert sent(server) == []


@pytest.mark.parametrize(("max_image_bytes", "shown"), [(600, True), (599, False)])
def test_reference_tool_image_its_name_does_not_say(
    mode: str, max_image_bytes: int, shown: bool
) -> None:
    """A reference named without an extension is read whole at once; what it turns out to be (an
    image of 600 bytes) then decides, by the same max_image_bytes."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=b"\x89PNG" + b"\0" * 596, headers={"Content-Type": "image/png"}
        )

    tool = RoeReadJobReferenceTool(
        client=mock_client(handler), image_blocks=True, max_image_bytes=max_image_bytes
    )
    message = tool_call(tool, mode, agent_job_id=JOB, reference="screenshot")
    (request,) = seen
    assert "range" not in request.headers
    if shown:
        assert isinstance(message.content, list)
    else:
        assert f"larger than max_image_bytes={max_image_bytes:,}" in text_of(message)
