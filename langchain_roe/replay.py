"""Run offline: a `RoeClient` whose requests are answered from a recorded session.

The session is a vcrpy cassette (YAML, as `make record` writes them). The package ships one
(`DEMO_SESSION`: example jobs of different kinds); it backs `make demo`
and the examples when no API key is set. The same client code runs; only the transport differs.

Example:
    ```python
    from langchain_roe import RoeAgentJobResultLoader
    from langchain_roe.replay import recorded_job_ids, replay_client

    client = replay_client()  # no key, no network
    loader = RoeAgentJobResultLoader(recorded_job_ids()[:2], client=client)
    print(len(loader.load()))
    ```
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import yaml

from langchain_roe._core._client import RoeClient
from langchain_roe._core._constants import (
    JOB_IDS_FIELD,
    ORGANIZATION_ID_PARAM,
    RESULTS_PATH,
    STATUSES_PATH,
)

__all__ = [
    "DEMO_SESSION",
    "EVIDENCE_SESSION",
    "EVIDENCE_SESSION_JOB_ID",
    "RUN_SESSION",
    "RUN_SESSION_AGENT_ID",
    "RUN_SESSION_TEXT",
    "SYNC_SESSION",
    "SYNC_SESSION_AGENT_ID",
    "SYNC_SESSION_SINCE",
    "TABLES_SESSION",
    "TABLES_SESSION_SQL",
    "ReplayTransport",
    "recorded_job_ids",
    "replay_client",
]

#: The batch endpoints, whose recorded answers are also served for any subset of their ids.
_BATCH_PATHS = (RESULTS_PATH, STATUSES_PATH)

#: The recorded example session shipped with the package.
DEMO_SESSION = Path(__file__).resolve().parent / "demo" / "session.yaml"
#: A recorded run of an agent (the spec's example agent), for `examples/run_and_read.py`.
RUN_SESSION = DEMO_SESSION.parent / "run_session.yaml"
#: The agent that session runs, and the text it was given.
RUN_SESSION_AGENT_ID = "123e4567-e89b-12d3-a456-426614174000"
RUN_SESSION_TEXT = "Roe AI runs agents over unstructured data: PDFs, web pages and images."
#: A recorded sync of an agent's jobs and searches over them, for `examples/sync_agent.py`.
SYNC_SESSION = DEMO_SESSION.parent / "sync_session.yaml"
#: The agent that session lists, and the `created_from` of its second, incremental sync.
SYNC_SESSION_AGENT_ID = "7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d"
SYNC_SESSION_SINCE = "2026-11-02T09:04:00+00:00"
#: An AML job read, then one artifact it cites, for `examples/evidence.py`.
EVIDENCE_SESSION = DEMO_SESSION.parent / "evidence_session.yaml"
EVIDENCE_SESSION_JOB_ID = "7d9f1b3d-5f7a-4c9e-8b1d-3f5a7c9e1b3d"
#: An agent answering a question from a Roe table, for `examples/tables_agent.py`: the query it runs.
TABLES_SESSION = DEMO_SESSION.parent / "tables_session.yaml"
TABLES_SESSION_SQL = (
    "SELECT country, sum(revenue) AS total FROM companies GROUP BY country ORDER BY total DESC"
)
#: How many recorded requests a request the session cannot answer is shown the nearest of.
NEAREST = 3
#: The key the replayed client sends; the recorded session never held a real one.
REPLAY_API_KEY = "offline-replay"


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve each request the recorded answer to the same method, URL path and JSON body.

    Matching answers are served in recorded order; once they are used up the last one repeats, as
    a server would answer the same read again. A batch request (results or statuses) for any
    subset of the jobs a recorded batch answer holds, in any order, is answered from those items.
    A request the session cannot answer is a `LookupError` that says so and names the recorded
    requests nearest to it (method, path and query), never a network call. A binary body (an
    upload) is matched by its bytes.
    """

    def __init__(self, interactions: Sequence[Mapping[str, Any]]) -> None:
        self._answers: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
        self._items: dict[str, dict[str, Any]] = {path: {} for path in _BATCH_PATHS}
        for interaction in interactions:
            request, response = interaction["request"], interaction["response"]
            url = httpx.URL(request["uri"])
            key = _key(request["method"], url, request.get("body") or "")
            self._answers.setdefault(key, []).append(response)
            if url.path in self._items and response["status"]["code"] == httpx.codes.OK:
                items = json.loads(response["body"]["string"])
                if isinstance(items, list):
                    self._items[url.path].update(
                        (item["id"], item) for item in items if isinstance(item, dict)
                    )
        self._served: dict[tuple[str, str, str], int] = {}
        self._recorded = list(
            dict.fromkeys(
                (i["request"]["method"].upper(), _shown_url(httpx.URL(i["request"]["uri"])))
                for i in interactions
            )
        )

    @classmethod
    def from_cassette(cls, path: Path = DEMO_SESSION) -> ReplayTransport:
        """Read a vcrpy cassette file."""
        return cls(_interactions(path))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The recorded answer to `request`; a `LookupError` if the session has none."""
        key = _key(request.method, request.url, request.read())
        answers = self._answers.get(key)
        if not answers:
            return self._from_items(request)
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        answer = answers[min(served, len(answers) - 1)]
        headers = [(name, value) for name, values in answer["headers"].items() for value in values]
        return httpx.Response(
            answer["status"]["code"],
            headers=headers,
            content=_body_bytes(answer["body"]["string"]),
            request=request,
        )

    def _from_items(self, request: httpx.Request) -> httpx.Response:
        items = self._items.get(request.url.path, {}) if request.method == "POST" else {}
        asked: object = None
        if items:
            try:
                asked = json.loads(request.content)[JOB_IDS_FIELD]
            except (ValueError, KeyError, TypeError):
                asked = None
        asking = f"{request.method} {_shown_url(request.url)}"
        if isinstance(asked, list):
            unknown = [agent_job_id for agent_job_id in asked if agent_job_id not in items]
            if not unknown:
                return httpx.Response(200, json=[items[i] for i in asked], request=request)
            asking += f" for job {unknown[0]}" + (
                f" (and {len(unknown) - 1} more)" if unknown[1:] else ""
            )
        elif (request.method.upper(), _shown_url(request.url)) in self._recorded:
            asking += " with this body (it recorded another)"
        nearest = "; ".join(f"{m} {u}" for m, u in self._nearest(request.method, request.url))
        msg = (
            f"the recorded session has no answer for {asking}; the nearest it recorded: "
            f"{nearest or 'none'}; set ROE_API_KEY to ask the live API"
        )
        raise LookupError(msg)

    def _nearest(self, method: str, url: httpx.URL) -> list[tuple[str, str]]:
        """The `NEAREST` recorded requests most like this one.

        Same method first, then the most alike path and query (`difflib`'s ratio: a mistyped
        job id comes out next to the recorded one).
        """
        asked = _shown_url(url)

        def likeness(recorded: tuple[str, str]) -> tuple[bool, float]:
            ratio = difflib.SequenceMatcher(None, asked, recorded[1], autojunk=False).ratio()
            return recorded[0] == method.upper(), ratio

        return sorted(self._recorded, key=likeness, reverse=True)[:NEAREST]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Async `handle_request`."""
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


def _key(method: str, url: httpx.URL, body: str | bytes) -> tuple[str, str, str]:
    """What a request is matched by: method, URL without the organization, and JSON body.

    A body that is not UTF-8 (a binary upload) is matched by its bytes, never decoded.
    """
    raw = _body_bytes(body)
    try:
        canonical_body = json.dumps(json.loads(raw), sort_keys=True) if raw else ""
    except ValueError:  # not JSON, or not even text
        canonical_body = raw.decode("utf-8", errors="backslashreplace")
    return method.upper(), _shown_url(url, with_host=True), canonical_body


def _shown_url(url: httpx.URL, *, with_host: bool = False) -> str:
    """The URL's path and sorted query, without the organization (and its scheme and host)."""
    query = sorted((k, v) for k, v in url.params.multi_items() if k != ORGANIZATION_ID_PARAM)
    where = f"{url.scheme}://{url.host}{url.path}" if with_host else url.path
    return where + (f"?{urlencode(query)}" if query else "")


def _body_bytes(body: str | bytes | None) -> bytes:
    """A recorded or sent body as bytes (a cassette holds a binary one as bytes already)."""
    if body is None:
        return b""
    return body if isinstance(body, bytes) else body.encode()


def _interactions(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        interactions: list[dict[str, Any]] = yaml.safe_load(handle)["interactions"]
    return interactions
