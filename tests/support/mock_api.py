"""Clients over `httpx.MockTransport`, for unit tests that script the server's answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpx

from langchain_roe import RoeClient

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests from a list (the last answer repeats) and keeps every request it saw."""

    def __init__(self, answers: Iterable[httpx.Response | Exception | Handler]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


def mock_client(handler: Handler, **settings: Any) -> RoeClient:
    """A client whose sync and async pools both answer through `handler`."""
    transport = httpx.MockTransport(handler)
    settings.setdefault("api_key", "test-key-not-secret")
    return RoeClient(
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


def json_response(status_code: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status_code, json=body, headers=headers)
