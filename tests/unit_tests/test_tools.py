"""The tool over scripted answers: the standard suite, text within budget, errors a model can use."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_roe import (
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
)
from langchain_roe._tools import _result
from langchain_roe._tools._base import resolve_run_annotations
from tests.support.example_jobs import payload
from tests.support.mock_api import Script, json_response, mock_client
from tests.support.tool_suite import RoeToolSuite

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
KEY = "sk-roe-tool-test-9f8e7d6c5b4a"


class TestRoeAgentJobResultToolStandard(RoeToolSuite):
    @property
    def tool_constructor(self) -> type[RoeAgentJobResultTool]:
        return RoeAgentJobResultTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"agent_job_id": JOB}


def call(tool: BaseTool, agent_job_id: Any, **args: Any) -> ToolMessage:
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "c1",
            "name": tool.name,
            "args": {"agent_job_id": agent_job_id, **args},
        }
    )
    assert isinstance(message, ToolMessage)
    return message


def tool_for(script: Script, **settings: Any) -> RoeAgentJobResultTool:
    return RoeAgentJobResultTool(client=mock_client(script, api_key=KEY, **settings))


def test_content_lists_each_output_then_totals() -> None:
    body = payload("result_web_insights_references")
    message = call(tool_for(Script([json_response(200, body)])), JOB.upper())
    text = message.content
    assert isinstance(text, str)
    assert message.status == "success"
    assert text.startswith(f"Roe agent job {JOB}: outputs")
    section = (
        "## output\ndescription: Output JSON data\ndata type: application/json\ncost: 0.0213\n"
        "cites: 3 references (html, md, png); read one with roe_read_agent_job_reference (its URL, "
        "resource id or artifact key as the value shows it)\n"
        'value:\n{\n  "company_name": "Roe AI",'
    )
    assert section in text
    assert text.endswith("Totals: 1 of 1 output shown, 18452 input tokens, 612 output tokens.")
    assert message.artifact == {"agent_job_id": JOB, **body}
    json.dumps(message.artifact)


def test_output_keys_select_and_missing_keys_are_said() -> None:
    body = payload("result_docs_example")
    body["outputs"].append({"key": "score", "data_type": "text/plain", "value": "0.9"})
    message = call(tool_for(Script([json_response(200, body)])), JOB, output_keys=["score", "nope"])
    assert "## score" in message.content
    assert "## output" not in message.content
    assert "No output with key(s) nope; available: output, score." in message.content
    assert "1 of 2 outputs shown" in message.content


@pytest.mark.parametrize("max_chars", [500, 2_000, 20_000])
def test_the_budget_holds_on_a_huge_result(max_chars: int) -> None:
    outputs = [
        {
            "key": f"page_{n}",
            "data_type": "application/json",
            "value": json.dumps({"text": "x" * 5_000, "n": n}),
        }
        for n in range(40)
    ]
    body = {
        "agent_id": None,
        "agent_version_id": None,
        "inputs": [],
        "input_tokens": 5,
        "output_tokens": 7,
        "outputs": outputs,
    }
    tool = RoeAgentJobResultTool(
        client=mock_client(Script([json_response(200, body)])), max_output_chars=max_chars
    )
    message = call(tool, JOB)
    text = message.content
    assert isinstance(text, str)
    assert len(text) <= max_chars
    assert "characters left out" in text
    assert text.endswith("Totals: 40 of 40 outputs shown, 5 input tokens, 7 output tokens.")
    left_out = int(text.split("[... ")[1].split(" characters")[0].replace(",", ""))
    assert left_out > 150_000
    assert len(message.artifact["outputs"]) == 40


def test_a_small_result_is_not_cut() -> None:
    message = call(tool_for(Script([json_response(200, payload("result_docs_example"))])), JOB)
    assert "left out" not in message.content


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([json_response(404, {"detail": "Not found."})] * 2, "No Roe agent job with id"),
        (
            [json_response(404, {}), json_response(200, {"status": 1, "timestamp": 1})],
            "is still running (STARTED); its outputs are not ready yet. Call this tool again later",
        ),
        (
            [
                httpx.Response(500),
                json_response(200, {"status": 4, "timestamp": 1, "error_message": "bad PDF"}),
            ],
            "ended in FAILURE and has no outputs: bad PDF",
        ),
        (
            [json_response(429, {"detail": "Rate limit exceeded"}, **{"Retry-After": "2"})],
            "rate limiting requests; wait about 2s",
        ),
        ([httpx.Response(503)], "failed to answer for job"),
        ([httpx.ConnectError("refused")], "failed to answer for job"),
        ([json_response(400, ["Missing input key document"])], "refused the request for job"),
    ],
)
def test_errors_become_error_messages_a_model_can_act_on(answers: list[Any], expected: str) -> None:
    script = Script(answers)
    message = call(tool_for(script, max_retries=0), JOB)
    assert message.status == "error"
    assert expected in message.content
    assert KEY not in message.content


def test_an_invalid_id_is_an_error_message_without_a_request() -> None:
    script = Script([json_response(200, {})])
    message = call(tool_for(script), "job-42")
    assert message.status == "error"
    assert "'job-42' is not a Roe agent job id" in message.content
    assert script.requests == []


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (403, PermissionDeniedError)]
)
def test_key_and_permission_errors_go_to_the_developer(status: int, error: type[Exception]) -> None:
    tool = tool_for(Script([json_response(status, {"detail": "denied"})]))
    with pytest.raises(error):
        call(tool, JOB)


def test_a_missing_key_goes_to_the_developer() -> None:
    tool = RoeAgentJobResultTool(client=mock_client(Script([json_response(200, {})]), api_key=None))
    with pytest.raises(ConfigurationError, match="ROE_API_KEY"):
        call(tool, JOB)


async def test_async_is_native_and_says_the_same() -> None:
    script = Script([json_response(200, payload("result_docs_example"))])
    tool = tool_for(script)
    call_args = {"type": "tool_call", "id": "c1", "name": tool.name, "args": {"agent_job_id": JOB}}
    message = await tool.ainvoke(call_args)
    assert (
        message.content
        == call(tool_for(Script([json_response(200, payload("result_docs_example"))])), JOB).content
    )
    assert len(script.requests) == 1


def test_the_key_never_shows() -> None:
    tool = RoeAgentJobResultTool(api_key=KEY)
    shown = (
        repr(tool) + str(tool) + json.dumps(convert_to_openai_tool(tool)["function"]["parameters"])
    )
    shown += str(tool.model_dump())
    assert KEY not in shown
    assert tool.api_key is not None
    assert tool.api_key.get_secret_value() == KEY


def test_plain_invoke_returns_the_text_only() -> None:
    tool = tool_for(Script([json_response(200, payload("result_docs_example"))]))
    text = tool.invoke({"agent_job_id": JOB})
    assert isinstance(text, str)
    assert '"summary": "hello world!"' in text


def test_the_model_facing_surface() -> None:
    tool = RoeAgentJobResultTool(api_key="k")
    assert tool.name == "roe_get_agent_job_result"
    assert not tool.return_direct
    assert len(tool.description) < 400
    schema = convert_to_openai_tool(tool)["function"]["parameters"]
    assert schema["required"] == ["agent_job_id"]
    assert JOB in schema["properties"]["agent_job_id"]["description"]


def test_an_unrelated_value_error_is_not_called_a_bad_id(monkeypatch: pytest.MonkeyPatch) -> None:
    tool = tool_for(Script([json_response(200, {})]))

    def broken(agent_job_id: str) -> Generator[Any, Any, Any]:
        raise ValueError("a bug somewhere below")
        yield  # a flow, as the tool's own

    monkeypatch.setattr(_result, "result_flow", broken)
    with pytest.raises(ValueError, match="a bug somewhere below"):
        call(tool, JOB)  # raised to the developer, not told to the model as "not a job id"


def test_an_empty_output_keys_is_refused_alike_by_tool_and_loader() -> None:
    script = Script([json_response(200, payload("result_docs_example"))])
    message = call(tool_for(script), JOB, output_keys=[])
    assert message.status == "error"
    assert "output_keys is empty: leave it out to get every output" in message.content
    assert script.requests == []
    with pytest.raises(ValueError, match="output_keys is empty: leave it out to get every output"):
        RoeAgentJobResultLoader(JOB, api_key=KEY, output_keys=[])


@pytest.mark.parametrize(
    ("retry_after", "said"),
    [("30", "wait about 30s"), ("2.5e11", "wait before"), ("nan", "wait before")],
)
def test_a_rate_limit_message_never_quotes_an_absurd_wait(retry_after: str, said: str) -> None:
    limited = json_response(429, {"detail": "slow down"}, **{"Retry-After": retry_after})
    message = call(tool_for(Script([limited]), max_retries=0), JOB)
    assert message.status == "error"
    assert said in message.content
    assert "e+" not in message.content


def test_run_annotations_langchain_reads_are_kept_and_no_others() -> None:
    """A `_run` taking a `RunnableConfig` still gets it; LangChain finds nothing in ours."""

    class Configured(BaseTool):
        name: str = "configured"
        description: str = "Says the tags it was run with."

        def _run(self, query: str, config: RunnableConfig) -> str:
            return f"{query}: {','.join(config.get('tags') or [])}"

    resolve_run_annotations(Configured)
    assert Configured().invoke({"query": "q"}, config={"tags": ["seen"]}) == "q: seen"
    assert BaseTool._arun.__annotations__  # what a tool inherits is left alone
    tool = tool_for(Script([json_response(200, payload("result_web_insights_references"))]))
    assert tool._run.__annotations__ == tool._arun.__annotations__ == {}
    assert call(tool, JOB).status == "success"
