"""Answer HTTP requests from a recorded session instead of the network.

The session is a vcrpy cassette (YAML, as `make record` writes them). It backs `make demo` and the
examples when no API key is set: the same client code runs, only the transport under it differs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

from langchain_roe._client import RoeClient
from langchain_roe._constants import JOB_IDS_FIELD, RESULTS_PATH

#: The recorded example session shipped with the package.
DEMO_SESSION = Path(__file__).resolve().parent / "demo" / "session.yaml"
#: The key the replayed client sends; the recorded session never held a real one.
REPLAY_API_KEY = "offline-replay"


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve each request the recorded answer to the same method, URL path and JSON body.

    Matching answers are served in recorded order; once they are used up the last one repeats, as
    a server would answer the same read again. A request the session never saw is an error that
    says so, never a network call.
    """

    def __init__(self, interactions: Sequence[Mapping[str, Any]]) -> None:
        self._answers: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
        for interaction in interactions:
            request = interaction["request"]
            key = _key(request["method"], httpx.URL(request["uri"]), request.get("body") or "")
            self._answers.setdefault(key, []).append(interaction["response"])
        self._served: dict[tuple[str, str, str], int] = {}

    @classmethod
    def from_cassette(cls, path: Path = DEMO_SESSION) -> ReplayTransport:
        """Read a vcrpy cassette file."""
        return cls(_interactions(path))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = _key(request.method, request.url, request.read().decode())
        answers = self._answers.get(key)
        if not answers:
            msg = (
                f"the recorded session has no answer to {request.method} {request.url.path}; "
                "set ROE_API_KEY to ask the live API"
            )
            raise LookupError(msg)
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        answer = answers[min(served, len(answers) - 1)]
        headers = [(name, value) for name, values in answer["headers"].items() for value in values]
        return httpx.Response(
            answer["status"]["code"],
            headers=headers,
            content=answer["body"]["string"].encode(),
            request=request,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.handle_request(request)


def recorded_job_ids(path: Path = DEMO_SESSION) -> list[str]:
    """The ids the recorded session's batch results request asked for, in order."""
    for interaction in _interactions(path):
        request = interaction["request"]
        if request["method"] == "POST" and httpx.URL(request["uri"]).path == RESULTS_PATH:
            ids: list[str] = json.loads(request["body"])[JOB_IDS_FIELD]
            return ids
    return []


def replay_client(path: Path = DEMO_SESSION, **settings: Any) -> RoeClient:
    """A `RoeClient` whose requests are answered from the recorded session at `path`."""
    transport = ReplayTransport.from_cassette(path)
    settings.setdefault("api_key", REPLAY_API_KEY)
    return RoeClient(
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


def _key(method: str, url: httpx.URL, body: str) -> tuple[str, str, str]:
    try:
        canonical_body = json.dumps(json.loads(body), sort_keys=True) if body else ""
    except ValueError:
        canonical_body = body
    return method.upper(), f"{url.scheme}://{url.host}{url.path}", canonical_body


def _interactions(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        interactions: list[dict[str, Any]] = yaml.safe_load(handle)["interactions"]
    return interactions
