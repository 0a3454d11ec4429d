"""Requests as a server received them, kept whole: what the options-on-the-wire tests read.

`sent(server)` reads the loopback server's record (`LoopbackServer.received`); `Recorder` is a handler
for `httpx.MockTransport` that answers from the in-memory `FakeRoeAPI` (the example jobs) and keeps
every request. Both give `Sent`: method, path, query, headers and body, so a test asserts what an
option did on the wire rather than that some code ran. Also what those tests share to use a
surface sync or async (`mode`, the fixture in `tests/conftest.py`): `tool_call` and `load`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from langchain_roe import RoeClient
from tests.support.example_jobs import example_jobs
from tests.support.fake_api import FakeRoeAPI
from tests.support.loopback import LoopbackServer
from tests.support.mock_api import mock_client


@dataclass(frozen=True)
class Sent:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes

    @classmethod
    def of(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Sent:
        parts = urlsplit(target)
        lowered = {name.lower(): value for name, value in headers.items()}
        return cls(method, parts.path, parse_qs(parts.query, keep_blank_values=True), lowered, body)

    def param(self, name: str) -> str | None:
        """The query parameter's one value (None when absent)."""
        values = self.query.get(name)
        if values is None:
            return None
        assert len(values) == 1, (name, values)
        return values[0]

    def json(self) -> Any:
        return json.loads(self.body)


def sent(server: LoopbackServer) -> list[Sent]:
    """Every request the loopback server received, in order."""
    return [Sent.of(r.method, r.path, r.headers, r.body) for r in server.received]


class Recorder:
    """`FakeRoeAPI`'s answers over the example jobs, with every request kept in `sent`."""

    def __init__(self, api: FakeRoeAPI | None = None) -> None:
        self.api = api or FakeRoeAPI(example_jobs())
        self.sent: list[Sent] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.sent.append(Sent.of(request.method, str(request.url), dict(request.headers), body))
        return self.api.respond(request)

    def client(self, **settings: Any) -> RoeClient:
        """A client whose sync and async pools answer here."""
        return mock_client(self, **settings)


def loopback_client(server: LoopbackServer) -> RoeClient:
    return RoeClient(api_key="loopback-key", base_url=server.base_url)


def tool_call(tool: BaseTool, mode: str, **args: Any) -> ToolMessage:
    """The tool called as an agent calls it (with a ToolCall), sync or async."""
    call = {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}
    message = tool.invoke(call) if mode == "sync" else asyncio.run(tool.ainvoke(call))
    assert isinstance(message, ToolMessage)
    return message


def load(loader: BaseLoader, mode: str) -> list[Document]:
    return loader.load() if mode == "sync" else asyncio.run(loader.aload())
