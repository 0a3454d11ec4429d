"""A server that echoes our request headers never puts the key into an error, a log or a model's text."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage

from langchain_roe import RoeAgentJobResultTool, RoeClient, RoeError
from langchain_roe._core._http import redacted
from tests.support.mock_api import mock_client

KEY = "sk-roe-live-0123456789abcdef"
JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"


def echoing(status: int, shape: str) -> Any:
    """A gateway answering `status` with the request's Authorization header in its body."""

    def handler(request: httpx.Request) -> httpx.Response:
        header = request.headers["authorization"]
        if shape == "html":
            page = f"<html><pre>Bad gateway. Request headers: Authorization: {header}</pre></html>"
            return httpx.Response(status, text=page, headers={"Content-Type": "text/html"})
        if shape == "json":
            return httpx.Response(status, json={"detail": f"rejected {header}", "key": KEY})
        return httpx.Response(status, json={"outputs": f"not a list, and {header}"})

    return handler


def client_for(status: int, shape: str) -> RoeClient:
    return mock_client(echoing(status, shape), api_key=KEY, max_retries=0)


def ask_status(client: RoeClient, mode: str) -> None:
    if mode == "sync":
        client.get_status(JOB)
    else:
        asyncio.run(client.aget_status(JOB))


@pytest.mark.parametrize(
    ("status", "shape"), [(502, "html"), (400, "json"), (404, "json"), (503, "json"), (200, "bad")]
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_echoed_key_is_redacted_from_the_error(
    status: int, shape: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="langchain_roe")
    client = client_for(status, shape)
    with pytest.raises(RoeError) as caught:
        ask_status(client, mode)
    error = caught.value
    shown = " ".join([str(error), repr(error), error.message, repr(getattr(error, "body", None))])
    assert KEY not in shown
    if status != 200:  # (a 2xx body that does not parse is summarised without its values)
        assert "[redacted]" in shown
    assert KEY not in caplog.text


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_model_never_reads_an_echoed_key(mode: str) -> None:
    tool = RoeAgentJobResultTool(client=client_for(503, "json"))
    request = {"type": "tool_call", "id": "c1", "name": tool.name, "args": {"agent_job_id": JOB}}
    message = tool.invoke(request) if mode == "sync" else asyncio.run(tool.ainvoke(request))
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert KEY not in str(message.content)


def test_redaction_reaches_into_json_and_leaves_short_values_alone() -> None:
    secrets = ("Bearer " + KEY, KEY)
    assert redacted({"a": [f"x {KEY} y", 1, None], KEY: 0.0}, secrets) == {
        "a": ["x [redacted] y", 1, None],
        "[redacted]": 0.0,
    }
    assert redacted(f"Bearer {KEY}", secrets) == "[redacted]"
    assert redacted("nothing here", ()) == "nothing here"
    client = mock_client(echoing(400, "json"), api_key="k", max_retries=0)
    with pytest.raises(RoeError) as caught:
        client.get_status(JOB)
    assert caught.value.message == "rejected [redacted]"  # the header value, "Bearer k"
    assert caught.value.body["key"] == KEY  # type: ignore[attr-defined]  # a bare "k" is not hunted for


def failing_transport(error: type[httpx.RequestError], quote: str) -> Any:
    """A transport (a proxy, a test double) whose error message quotes the request's credential."""

    def handler(request: httpx.Request) -> httpx.Response:
        header = request.headers["authorization"]
        quoted = header if quote == "header" else header.removeprefix("Bearer ")
        raise error(f"proxy said no to a request with {quoted!r} in it", request=request)

    return handler


@pytest.mark.parametrize("quote", ["header", "bare key"])
@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ReadError])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_transport_error_quoting_the_key_is_redacted(
    error: type[httpx.RequestError], quote: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="langchain_roe")
    client = mock_client(failing_transport(error, quote), api_key=KEY, max_retries=0)
    with pytest.raises(RoeError) as caught:
        ask_status(client, mode)
    shown = " ".join([str(caught.value), repr(caught.value), caught.value.message])
    assert KEY not in shown
    assert "proxy said no" in shown  # the reason is kept, only the secret goes
    assert "[redacted]" in shown
    assert KEY not in caplog.text
