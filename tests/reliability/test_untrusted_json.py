"""Untrusted JSON: nothing the server sends crashes a surface, and one bad job never sinks another.

Bodies nest past every parser's depth limit, values nest past what can be laid out, items miss what
the spec requires. Each surface (client, tool, ToolNode graph, loader, command line) ends with data
or a typed error, and healthy jobs beside a bad one still load.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from langchain_roe import (
    InvalidResponseError,
    NotFoundError,
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    ServerError,
    _cli,
)
from tests.conftest import Invoke
from tests.support.mock_api import Script, json_response, mock_client

A, B, C = (
    "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10",
    "5c0e8a2d-7f41-4b6e-9d3a-1e2f4a6b8c0d",
    "6d1f9b3e-8a52-4c7f-8e4b-2f3a5b7c9d1e",
)
DEEP_BODY = b"[" * 100_000 + b"]" * 100_000
DEEP_VALUE = "[" * 1000 + "]" * 1000


def datum(key: str, value: str, data_type: str = "text/plain") -> dict[str, Any]:
    return {"key": key, "data_type": data_type, "value": value, "cost": 0.0}


def item(agent_job_id: str, outputs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": agent_job_id, "status": 3, "result": outputs, **extra}


def batch(*items: Any) -> httpx.Response:
    return json_response(200, list(items))


# A 4xx/5xx body too deep to read -------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(404, NotFoundError), (500, ServerError)])
def test_a_deep_error_body_is_the_typed_error_with_a_snippet(
    invoke: Invoke, status: int, error: type[Exception]
) -> None:
    client = mock_client(Script([httpx.Response(status, content=DEEP_BODY)]), max_retries=0)
    with pytest.raises(error) as caught:
        invoke(client.get_status, A)
    assert str(caught.value).startswith("[[[[")  # a snippet of what came, not a crash


def call_in_a_graph(tool: RoeAgentJobResultTool, agent_job_id: str) -> ToolMessage:
    """What a LangGraph `ToolNode` hands back for one call of `tool`."""
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([tool]))
    graph.add_edge(START, "tools")
    graph.add_edge("tools", END)
    call = {"name": tool.name, "args": {"agent_job_id": agent_job_id}, "id": "call-1"}
    state = graph.compile().invoke({"messages": [AIMessage(content="", tool_calls=[call])]})
    message = state["messages"][-1]
    assert isinstance(message, ToolMessage)
    return message


def test_the_tool_and_a_graph_survive_a_deep_error_body() -> None:
    client = mock_client(Script([httpx.Response(404, content=DEEP_BODY)]), max_retries=0)
    message = call_in_a_graph(RoeAgentJobResultTool(client=client), A)
    assert message.status == "error"
    assert f"No Roe agent job with id {A}" in str(message.content)


def test_the_loader_records_a_deep_error_body_against_each_job() -> None:
    client = mock_client(Script([httpx.Response(500, content=DEEP_BODY)]), max_retries=0)
    loader = RoeAgentJobResultLoader([A, B], client=client, continue_on_failure=True)
    assert loader.load() == []
    assert set(loader.failures) == {A, B}
    assert all(isinstance(e, ServerError) for e in loader.failures.values())


def test_the_command_line_reports_a_deep_error_body(monkeypatch: pytest.MonkeyPatch) -> None:
    client = mock_client(Script([httpx.Response(500, content=DEEP_BODY)]), max_retries=0)
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)
    stdout, stderr = io.StringIO(), io.StringIO()
    code = _cli.main([A], stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    assert code == 1
    assert f"job {A} failed: [[[[" in stderr.getvalue()


# A value too deep to lay out, and fields nobody reads --------------------------------------


def test_a_value_too_deep_to_lay_out_is_kept_as_raw_text_by_the_tool() -> None:
    result = {"outputs": [datum("deep", DEEP_VALUE, "application/json"), datum("ok", "fine")]}
    tool = RoeAgentJobResultTool(client=mock_client(Script([json_response(200, result)])))
    message = call_in_a_graph(tool, A)
    assert message.status == "success"
    assert "[[[[[[[[" in str(message.content)
    assert "fine" in str(message.content)


def test_a_deep_value_does_not_lose_the_healthy_jobs_beside_it() -> None:
    answer = batch(
        item(A, [datum("deep", DEEP_VALUE, "application/json")]), item(B, [datum("ok", "fine")])
    )
    loader = RoeAgentJobResultLoader([A, B], client=mock_client(Script([answer])))
    documents = loader.load()
    assert [d.metadata["agent_job_id"] for d in documents] == [A, B]
    assert documents[0].page_content == DEEP_VALUE  # kept exactly as it came
    assert documents[1].page_content == "fine"


@pytest.mark.parametrize("depth", [200, 1_100, 5_000])
def test_deep_inputs_fail_no_job(invoke: Invoke, depth: int) -> None:
    deep_inputs = b'[{"key": "doc", "value": ' + b"[" * depth + b"]" * depth + b"}]"
    body = (
        b'[{"id": "'
        + A.encode()
        + b'", "status": 3, "inputs": '
        + deep_inputs
        + b', "result": '
        + json.dumps([datum("a", "alpha")]).encode()
        + b'}, {"id": "'
        + B.encode()
        + b'", "status": 3, "result": '
        + json.dumps([datum("b", "beta")]).encode()
        + b"}]"
    )
    client = mock_client(Script([httpx.Response(200, content=body)]))
    answers = invoke(client.get_results, [A, B])
    assert [o.value for o in answers[A].result] == ["alpha"]
    assert [o.value for o in answers[B].result] == ["beta"]
    single = b'{"outputs": ' + json.dumps([datum("a", "alpha")]).encode() + b', "inputs": '
    single += deep_inputs + b"}"
    result = invoke(mock_client(Script([httpx.Response(200, content=single)])).get_result, A)
    assert [o.value for o in result.outputs] == ["alpha"]


# Items that break the spec fail their own job only ------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"id": A, "status": 3, "result": [{"key": 5, "value": None}]},  # outputs of the wrong shape
        {"id": A, "status": "three", "result": []},  # a status that is no status
        {"id": A, "status": 3, "result": [{"key": "k", "data_type": "text/plain"}]},  # no value
    ],
)
def test_an_unreadable_item_fails_its_own_job_and_its_neighbours_load(bad: dict[str, Any]) -> None:
    answer = batch(bad, item(B, [datum("b", "beta")]), item(C, [datum("c", "gamma")]))
    loader = RoeAgentJobResultLoader(
        [A, B, C], client=mock_client(Script([answer])), continue_on_failure=True
    )
    documents = loader.load()
    assert [d.page_content for d in documents] == ["beta", "gamma"]
    assert list(loader.failures) == [A]
    assert isinstance(loader.failures[A], InvalidResponseError)
    assert "does not match the API spec" in loader.failures[A].message


def test_informational_fields_of_the_wrong_type_fail_no_job(invoke: Invoke) -> None:
    odd = item(A, [datum("a", "alpha")], inputs="not a list", input_tokens="many", cost="free")
    answers = invoke(mock_client(Script([batch(odd)])).get_results, [A])
    assert answers[A].input_tokens is None
    assert answers[A].cost is None
    assert answers[A].inputs == "not a list"


def test_a_result_without_outputs_is_invalid_not_empty(invoke: Invoke) -> None:
    client = mock_client(Script([json_response(200, {"agent_id": A})]), max_retries=0)
    with pytest.raises(InvalidResponseError, match="outputs: Field required"):
        invoke(client.get_result, A)


def test_a_batch_item_without_an_id_makes_the_missing_ids_invalid_not_silent(
    invoke: Invoke,
) -> None:
    nameless = {"status": 3, "result": [datum("a", "alpha")]}
    answers = invoke(
        mock_client(Script([batch(nameless, item(B, [datum("b", "b")]))])).get_results, [A, B]
    )
    assert isinstance(answers[A], InvalidResponseError)
    assert "could not be read" in answers[A].message
    assert answers[B].result is not None
    loader = RoeAgentJobResultLoader([A], client=mock_client(Script([batch(nameless)])))
    with pytest.raises(InvalidResponseError):
        loader.load()  # never a silent zero Documents


def test_an_empty_batch_answer_is_not_found_for_each_id(invoke: Invoke) -> None:
    answers = invoke(mock_client(Script([batch()])).get_results, [A, B])
    assert all(isinstance(answers[i], NotFoundError) for i in (A, B))


# Pagination that never ends ------------------------------------------------------------------


def endless_pages(items_per_page: list[dict[str, Any]]) -> Script:
    def page(request: httpx.Request) -> httpx.Response:
        number = len(script.requests)
        next_url = f"https://api.roe-ai.com/v1/agents/jobs/results/?page={number + 1}"
        return json_response(200, {"next": next_url, "results": items_per_page})

    script = Script([page])
    return script


@pytest.mark.parametrize(
    "per_page", [[], [item(A, [datum("a", "alpha")])]], ids=["empty pages", "repeating items"]
)
def test_pages_that_never_end_stop_within_the_ids_asked(
    invoke: Invoke, per_page: list[dict[str, Any]]
) -> None:
    script = endless_pages(per_page)
    with pytest.raises(InvalidResponseError, match="cannot be a legitimate answer"):
        invoke(mock_client(script).get_results, [A, B, C])
    assert len(script.requests) <= 3 + 1
