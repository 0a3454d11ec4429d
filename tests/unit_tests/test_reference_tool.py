"""`RoeReadJobReferenceTool`: the standard suites, and what a model reads for each kind of answer."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_roe import (
    AuthenticationError,
    RoeAgentJobResultTool,
    RoeReadJobReferenceTool,
)
from tests.support.example_jobs import AML, WEB, payload
from tests.support.mock_api import Script, json_response, mock_client

MD = "3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e.md"
MD_URL = f"https://api.roe-ai.com/v1/agents/jobs/{WEB}/references/{MD}/"
ARTIFACT = f"agent-job-{AML}/extraction_123.json"


class TestRoeReadJobReferenceToolStandard(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[RoeReadJobReferenceTool]:
        return RoeReadJobReferenceTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "test-key"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"agent_job_id": WEB, "reference": MD_URL}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ROE_API_KEY": "env-key", "ROE_MAX_REFERENCE_BYTES": "4096"},
            {},
            {"api_key": "env-key", "max_reference_bytes": 4096},
        )


def call(tool: BaseTool, mode: str, **args: Any) -> ToolMessage:
    request = {"type": "tool_call", "id": "c1", "name": tool.name, "args": args}
    message = tool.invoke(request) if mode == "sync" else asyncio.run(tool.ainvoke(request))
    assert isinstance(message, ToolMessage)
    return message


def tool_for(script: Script, **options: Any) -> RoeReadJobReferenceTool:
    return RoeReadJobReferenceTool(client=mock_client(script), **options)


def file(content: bytes, content_type: str) -> Script:
    return Script([httpx.Response(200, content=content, headers={"Content-Type": content_type})])


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_text_reference_is_read_as_text(mode: str) -> None:
    page = "# Roe AI\n\nAgents over unstructured data.\n"
    message = call(
        tool_for(file(page.encode(), "text/markdown; charset=utf-8")),
        mode,
        agent_job_id=WEB,
        reference=MD_URL,
    )
    assert message.status == "success"
    assert message.content == (
        f"Roe agent job {WEB}, reference {MD} (text/markdown; charset=utf-8, {len(page)} bytes):\n\n{page}"
    )
    assert message.artifact == {
        "kind": "reference",
        "agent_job_id": WEB,
        "resource_id": MD,
        "source": MD_URL,
        "media_type": "text/markdown; charset=utf-8",
        "size": len(page),
    }


def test_a_binary_reference_is_described_not_dumped(mode: str) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    message = call(tool_for(file(png, "image/png")), mode, agent_job_id=WEB, reference="shot.png")
    assert message.status == "success"
    assert message.content == (
        f"Roe agent job {WEB}, reference shot.png: a image/png file of {len(png):,} bytes, not text, "
        "so its content is not shown here."
    )
    assert "PNG" not in message.content
    assert message.artifact["size"] == len(png)


def test_an_artifact_is_read_as_laid_out_json(mode: str) -> None:
    script = Script([json_response(200, {"result": {"deposits": [9500, 9500]}})])
    message = call(tool_for(script), mode, agent_job_id=AML, reference=f"  {ARTIFACT} ")
    assert message.status == "success"
    assert str(message.content).startswith(f"Roe agent job {AML}, artifact {ARTIFACT}:\n\n{{\n")
    assert '"deposits": [\n    9500,' in message.content
    assert message.artifact == {
        "kind": "artifact",
        "agent_job_id": AML,
        "artifact_key": ARTIFACT,
        "result": {"deposits": [9500, 9500]},
    }
    assert script.requests[0].url.params["artifact_key"] == ARTIFACT


@pytest.mark.parametrize("max_chars", [500, 2_000])
def test_long_text_stays_within_the_budget(mode: str, max_chars: int) -> None:
    page = "word " * 10_000
    message = call(
        tool_for(file(page.encode(), "text/plain"), max_output_chars=max_chars),
        mode,
        agent_job_id=WEB,
        reference="long.txt",
    )
    assert len(message.content) <= max_chars
    assert "characters left out to stay within the budget" in message.content


def test_a_url_off_the_api_is_refused_to_the_model_unsent(mode: str) -> None:
    script = file(b"x", "text/plain")
    message = call(
        tool_for(script),
        mode,
        agent_job_id=WEB,
        reference=f"https://files.example.com/v1/agents/jobs/{WEB}/references/{MD}/",
    )
    assert message.status == "error"
    assert "does not point at the configured Roe API" in message.content
    assert "exactly as the job's output shows it" in message.content
    assert script.requests == []


def test_a_missing_artifact_is_an_error_the_model_can_act_on(mode: str) -> None:
    script = Script([json_response(404, {"detail": "Artifact not found."})])
    message = call(tool_for(script), mode, agent_job_id=AML, reference=f"agent-job-{AML}/nope.json")
    assert message.status == "error"
    assert f"Roe agent job {AML} has no reference or artifact" in message.content


def test_a_bad_job_id_is_an_error_for_the_model(mode: str) -> None:
    script = Script([json_response(200, {})])
    message = call(tool_for(script), mode, agent_job_id="job-7", reference=MD)
    assert message.status == "error"
    assert "is not a Roe agent job id" in message.content
    assert script.requests == []


def test_a_bad_key_goes_to_the_developer(mode: str) -> None:
    script = Script([json_response(401, {"detail": "Invalid API key."})])
    with pytest.raises(AuthenticationError):
        call(tool_for(script), mode, agent_job_id=WEB, reference=MD)


def test_the_result_tool_counts_what_each_output_cites() -> None:
    body = payload("result_aml_investigation_artifacts")
    tool = RoeAgentJobResultTool(client=mock_client(Script([json_response(200, body)])))
    message = tool.invoke(
        {"type": "tool_call", "id": "c", "name": tool.name, "args": {"agent_job_id": AML}}
    )
    assert "cites: 2 artifacts; read one with roe_read_agent_job_reference" in message.content
    docs = payload("result_docs_example")  # cites nothing: no line at all
    plain = RoeAgentJobResultTool(client=mock_client(Script([json_response(200, docs)])))
    assert "cites:" not in plain.invoke({"agent_job_id": AML})


def test_a_file_named_as_binary_is_described_from_its_first_byte(mode: str) -> None:
    script = Script(
        [
            httpx.Response(
                206,
                content=b"\x89",
                headers={"Content-Type": "image/png", "Content-Range": "bytes 0-0/5000000"},
            )
        ]
    )
    message = call(tool_for(script), mode, agent_job_id=WEB, reference="screenshot.png")
    assert message.content == (
        f"Roe agent job {WEB}, reference screenshot.png: a image/png file of 5,000,000 bytes, not "
        "text, so its content is not shown here."
    )
    assert message.artifact["size"] == 5_000_000
    (request,) = script.requests  # one byte asked for, not five megabytes
    assert request.headers["range"] == "bytes=0-0"


def test_a_file_whose_name_lies_is_read_as_the_text_it_is(mode: str) -> None:
    script = Script(
        [
            httpx.Response(
                206,
                content=b"#",
                headers={"Content-Type": "text/markdown", "Content-Range": "bytes 0-0/9"},
            ),
            httpx.Response(200, content=b"# a page\n", headers={"Content-Type": "text/markdown"}),
        ]
    )
    message = call(tool_for(script), mode, agent_job_id=WEB, reference="odd.png")
    assert str(message.content).endswith("# a page\n")
    assert "range" not in script.requests[1].headers


# Images shown to a model that takes them (`image_blocks`) -------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_with_image_blocks_an_image_is_a_text_block_and_an_image_block(mode: str) -> None:
    import base64

    script = Script(
        [
            httpx.Response(
                206,
                content=PNG[:1],
                headers={"Content-Type": "image/png", "Content-Range": f"bytes 0-0/{len(PNG)}"},
            ),
            httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"}),
        ]
    )
    tool = tool_for(script, image_blocks=True)
    message = call(tool, mode, agent_job_id=WEB, reference="shot.png")
    assert message.status == "success"
    assert isinstance(message.content, list)
    text, image = message.content
    assert isinstance(text, dict)
    assert isinstance(image, dict)
    assert text == {
        "type": "text",
        "text": f"Roe agent job {WEB}, reference shot.png: a image/png image of "
        f"{len(PNG):,} bytes, shown below.",
    }
    assert image == {
        "type": "image",
        "base64": base64.b64encode(PNG).decode(),
        "mime_type": "image/png",
    }
    assert message.artifact["size"] == len(PNG)
    assert PNG not in repr(message.artifact).encode()  # the bytes stay out of the artifact
    assert "base64" not in str(message.artifact)
    assert len(script.requests) == 2  # the first byte, then the image


def test_an_image_reference_named_without_its_type_is_shown_once_read(mode: str) -> None:
    tool = tool_for(file(PNG, "image/webp"), image_blocks=True)
    message = call(tool, mode, agent_job_id=WEB, reference=MD_URL.replace(".md", ""))
    assert [block["type"] for block in message.content] == ["text", "image"]  # type: ignore[index]
    assert message.content[1]["mime_type"] == "image/webp"  # type: ignore[index]


def test_an_image_past_max_image_bytes_is_described_and_says_why(mode: str) -> None:
    script = Script(
        [
            httpx.Response(
                206,
                content=PNG[:1],
                headers={"Content-Type": "image/png", "Content-Range": "bytes 0-0/5000000"},
            )
        ]
    )
    tool = tool_for(script, image_blocks=True, max_image_bytes=4_999_999)
    message = call(tool, mode, agent_job_id=WEB, reference="shot.png")
    assert isinstance(message.content, str)
    assert message.content.endswith("It is larger than max_image_bytes=4,999,999.")
    assert len(script.requests) == 1  # not read: only its first byte was asked for


def test_an_image_of_exactly_max_image_bytes_is_shown(mode: str) -> None:
    tool = tool_for(file(PNG, "image/png"), image_blocks=True, max_image_bytes=len(PNG))
    message = call(tool, mode, agent_job_id=WEB, reference=MD_URL.replace(".md", ""))
    assert isinstance(message.content, list)


def test_without_image_blocks_an_image_is_described_as_before(mode: str) -> None:
    message = call(tool_for(file(PNG, "image/png")), mode, agent_job_id=WEB, reference="a.png")
    assert isinstance(message.content, str)
    assert "not text, so its content is not shown here." in message.content
    assert "max_image_bytes" not in message.content


def test_an_image_type_models_do_not_take_is_described(mode: str) -> None:
    tool = tool_for(file(PNG, "image/tiff"), image_blocks=True)
    message = call(tool, mode, agent_job_id=WEB, reference=MD_URL.replace(".md", ""))
    assert isinstance(message.content, str)
    assert "image/tiff" in message.content


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_a_bad_max_image_bytes_is_refused_when_the_tool_is_made(bad: object) -> None:
    from langchain_roe import ConfigurationError

    with pytest.raises(ConfigurationError, match="max_image_bytes"):
        RoeReadJobReferenceTool(api_key="k", max_image_bytes=bad)


@pytest.mark.parametrize("charset", ["x-no-such-charset", "utf-8\x00", ""])
def test_a_charset_python_does_not_know_is_read_as_utf8_not_a_crash(
    mode: str, charset: str
) -> None:
    page = "# café\n"
    script = file(page.encode(), f"text/markdown; charset={charset}")
    message = call(tool_for(script), mode, agent_job_id=WEB, reference=MD_URL)
    assert message.status == "success"
    assert str(message.content).endswith(page)


def test_an_unknown_charset_is_dropped_where_every_reader_gets_it() -> None:
    from langchain_roe._core._references import split_content_type

    assert split_content_type("text/plain; charset=x-unknown") == ("text/plain", None)
    assert split_content_type("text/plain; charset=latin-1") == ("text/plain", "latin-1")
    assert split_content_type("") == (None, None)
