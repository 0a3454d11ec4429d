"""An in-memory Roe API: the four job endpoints over a table of jobs.

It answers as the official spec and `shared/roe-api/README.md` describe, including the undocumented
choices marked below. `make record` records cassettes through it when no `ROE_API_KEY` is set, and the
loopback server of the benchmarks serves it over real sockets.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from langchain_roe._constants import JOB_IDS_FIELD

SUCCEEDED = frozenset({3, 6})
TERMINAL = frozenset({3, 4, 5, 6})

_JOB_PATH = re.compile(r"^/v1/agents/jobs/(?P<agent_job_id>[^/]+)/(?P<what>result|status)/$")
_BATCH_PATHS = {"/v1/agents/jobs/results/": "results", "/v1/agents/jobs/statuses/": "statuses"}


@dataclass
class FakeJob:
    """One job as the server knows it: a batch result item plus what only the status endpoints say."""

    item: dict[str, Any]
    """The job as `POST /v1/agents/jobs/results/` returns it (with `id` and `status`)."""
    error_message: str | None = None
    """What the status endpoints say of a RETRY or FAILURE."""
    pending_statuses: list[int] = field(default_factory=list)
    """Statuses reported, one per status request, before `item['status']` takes over."""
    timestamp: float = 1789405359.107552

    @property
    def agent_job_id(self) -> str:
        return str(self.item["id"])

    def current_status(self) -> int | None:
        return self.pending_statuses[0] if self.pending_statuses else self.item["status"]

    def advance(self) -> None:
        if self.pending_statuses:
            self.pending_statuses.pop(0)


@dataclass
class Answer:
    status_code: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status_code: int, payload: object) -> Answer:
    return Answer(status_code, json.dumps(payload).encode(), {"Content-Type": "application/json"})


NOT_FOUND = json_answer(404, {"detail": "Not found."})


class FakeRoeAPI:
    """The job endpoints over `jobs`; `requests` counts what was asked."""

    def __init__(self, jobs: Iterable[FakeJob]) -> None:
        self.jobs = {job.agent_job_id: job for job in jobs}
        self.requests: list[tuple[str, str]] = []

    def handle(self, method: str, path: str, body: bytes) -> Answer:
        self.requests.append((method, path))
        match = _JOB_PATH.match(path)
        if method == "GET" and match:
            job = self.jobs.get(_canonical(match["agent_job_id"]) or "")
            if job is None:
                return NOT_FOUND
            return self._result(job) if match["what"] == "result" else self._status(job)
        batch = _BATCH_PATHS.get(path)
        if method == "POST" and batch:
            try:
                agent_job_ids = json.loads(body)[JOB_IDS_FIELD]
            except (ValueError, KeyError, TypeError):
                return json_answer(400, {JOB_IDS_FIELD: ["This field is required."]})
            if batch == "results":
                return json_answer(200, [self._result_item(i) for i in agent_job_ids])
            return json_answer(200, [s for i in agent_job_ids if (s := self._status_item(i))])
        return NOT_FOUND

    def respond(self, request: httpx.Request) -> httpx.Response:
        """Answer an httpx request (a handler for `httpx.MockTransport`)."""
        answer = self.handle(request.method, request.url.path, request.read())
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.body)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this API, for recording cassettes offline."""
        return httpx.MockTransport(self.respond)

    def _result(self, job: FakeJob) -> Answer:
        status = job.current_status()
        if status in SUCCEEDED:
            item = job.item
            return json_answer(
                200,
                {
                    "agent_id": item["agent_id"],
                    "agent_version_id": item["agent_version_id"],
                    "inputs": item["inputs"],
                    "input_tokens": item["input_tokens"],
                    "output_tokens": item["output_tokens"],
                    "outputs": item["result"],
                },
            )
        # Undocumented: what the result endpoint says of an unfinished or failed job. We assume the
        # 404 of an unknown job while it runs and the documented body-less 500 once it has failed.
        return NOT_FOUND if status not in TERMINAL else Answer(500)

    def _status(self, job: FakeJob) -> Answer:
        status = job.current_status()
        job.advance()
        payload: dict[str, Any] = {"status": status, "timestamp": job.timestamp}
        if job.error_message and status in (2, 4):
            payload["error_message"] = job.error_message
        return json_answer(200, payload)

    def _result_item(self, raw_id: str) -> dict[str, Any]:
        job = self.jobs.get(_canonical(raw_id) or "")
        if job is None:
            return {
                "id": raw_id,
                "status": None,
                "result": None,
                "corrected_outputs": None,
                "agent_id": None,
                "agent_version_id": None,
                "cost": None,
                "inputs": None,
                "input_tokens": None,
                "output_tokens": None,
            }
        status = job.current_status()
        if status in SUCCEEDED:
            return job.item
        return {**job.item, "status": status, "result": None, "corrected_outputs": None}

    def _status_item(self, raw_id: str) -> dict[str, Any] | None:
        job = self.jobs.get(_canonical(raw_id) or "")
        if job is None:
            return None
        status = job.current_status()
        job.advance()
        return {
            "id": job.agent_job_id,
            "status": status,
            "created_at": "2026-09-14T17:02:11.482913Z",
            "last_updated_at": "2026-09-14T17:02:39.107552Z",
            "timestamp": job.timestamp,
            "error_message": job.error_message if status in (2, 4) else None,
        }


def _canonical(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None
