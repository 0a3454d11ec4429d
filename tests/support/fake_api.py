"""An in-memory Roe API: the four job endpoints over a table of jobs, and runs of one agent.

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
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from langchain_roe._core._constants import JOB_IDS_FIELD
from tests.support.listing import EPOCH, LISTED_AGENT_ID, JobTable, ListedJob
from tests.support.references import File, ranged
from tests.support.tables import Tables

_PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def payload(name: str) -> Any:
    """The parsed body of `tests/fixtures/payloads/<name>.json`."""
    return json.loads((_PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


SUCCEEDED = frozenset({3, 6})
TERMINAL = frozenset({3, 4, 5, 6})

_JOB_PATH = re.compile(r"^/v1/agents/jobs/(?P<agent_job_id>[^/]+)/(?P<what>result|status)/$")
_REFERENCE = re.compile(
    r"^/v1/agents/jobs/(?P<agent_job_id>[^/]+)/references/(?P<resource_id>[^/]+)/$"
)
_ARTIFACT = re.compile(r"^/v1/agents/jobs/(?P<agent_job_id>[^/]+)/artifacts/result/$")
_BATCH_PATHS = {"/v1/agents/jobs/results/": "results", "/v1/agents/jobs/statuses/": "statuses"}
_CONTROL = re.compile(r"^/v1/agents/jobs/(?P<agent_job_id>[^/]+)/(?P<action>cancel|delete-data)/$")
_CANCEL_ALL = re.compile(r"^/v1/agents/(?P<agent_id>[^/]+)/jobs/cancel-all/$")
_VERSION_PATH = re.compile(r"^/v1/agents/(?P<agent_id>[^/]+)/versions/current/$")
_RUN_PATH = re.compile(r"^/v1/agents/run/(?P<agent_id>[^/]+)/async/(?P<many>many/)?$")

_BASE_URL = "https://api.roe-ai.com"
#: The spec's example agent (its current version is the spec's example too).
RUN_AGENT_ID = "123e4567-e89b-12d3-a456-426614174000"
#: Jobs started here get ids derived in this namespace from their order: a recording is repeatable.
_RUN_NAMESPACE = uuid.UUID("c0a8e1f2-3b4d-4e5f-8a6b-7c8d9e0f1a2b")


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
        self.listing = example_listing(self.jobs.values())
        """`LISTED_AGENT_ID`'s jobs: the example jobs, listed (see `example_listing`)."""
        self.requests: list[tuple[str, str]] = []
        self.keys: dict[str, str] = {}
        """Idempotency keys of the runs started, each with its job (a repeat answers that job)."""
        self.cancels: list[str] = []
        """The job id of every cancel request, in order (refused ones included)."""
        self.cancel_alls: list[str] = []
        """The agent id of every cancel-all request, in order."""
        self.purged: set[str] = set()
        """Jobs whose data was deleted."""
        self.tables = Tables()
        """Roe tables in SQLite, answering in the spec's shapes (`tests/support/tables.py`)."""

    def handle(
        self,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Answer:
        self.requests.append((method, path))
        table = self.tables.route(method, path, query, body, headers or {})
        if table is not None:
            status, table_payload = table
            return (
                Answer(204, b"", {})
                if table_payload is None
                else json_answer(status, table_payload)
            )
        if method == "GET" and path == f"/v1/agents/{self.listing.agent_id}/jobs/":
            return json_answer(*self.listing.answer(_BASE_URL, path, query))
        if method == "GET" and path == "/v1/agents/":
            agent = payload("agent_version_current")["base_agent"]
            return json_answer(
                200, {"count": 1, "next": None, "previous": None, "results": [agent]}
            )
        version = _VERSION_PATH.match(path)
        if method == "GET" and version:
            if version["agent_id"] != RUN_AGENT_ID:
                return NOT_FOUND
            return json_answer(200, payload("agent_version_current"))
        run = _RUN_PATH.match(path)
        if method == "POST" and run and run["many"]:
            try:
                many = json.loads(body)["inputs"]
            except (ValueError, KeyError, TypeError):
                return json_answer(400, {"inputs": ["This field is required."]})
            started = [self._start(run["agent_id"], json.dumps(one).encode(), None) for one in many]
            refused = next((a for a in started if a.status_code != 200), None)
            return refused or json_answer(200, [json.loads(a.body) for a in started])
        if method == "POST" and run:
            return self._start(run["agent_id"], body, (headers or {}).get("idempotency-key"))
        control = _CONTROL.match(path)
        if method == "POST" and control:
            job = self.jobs.get(_canonical(control["agent_job_id"]) or "")
            if job is None:
                return NOT_FOUND
            return self._cancel(job) if control["action"] == "cancel" else self._purge(job)
        cancel_all = _CANCEL_ALL.match(path)
        if method == "POST" and cancel_all:
            return self._cancel_all(cancel_all["agent_id"])
        cited = _REFERENCE.match(path)
        if method == "GET" and cited:
            found = example_reference(cited["agent_job_id"], cited["resource_id"])
            if found is None:
                return NOT_FOUND
            content_type, content = found
            status, file = ranged(content, content_type, (headers or {}).get("range", ""))
            if not isinstance(file, File):
                return json_answer(status, file)
            return Answer(status, file.body, {"Content-Type": file.content_type, **file.headers})
        artifact = _ARTIFACT.match(path)
        if method == "GET" and artifact:
            keys = parse_qs(query).get("artifact_key")
            if not keys:
                return json_answer(400, ["artifact_key is required"])
            result = example_artifact(artifact["agent_job_id"], keys[0])
            return NOT_FOUND if result is None else json_answer(200, {"result": result})
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
        headers = {name.lower(): value for name, value in request.headers.items()}
        answer = self.handle(
            request.method, request.url.path, request.read(), headers, request.url.query.decode()
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.body)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this API, for recording cassettes offline."""
        return httpx.MockTransport(self.respond)

    def _start(self, agent_id: str, body: bytes, key: str | None) -> Answer:
        """Start a job of the example agent: PENDING, then STARTED, then the spec's example result.

        Assumed, as the client does: a repeated idempotency key answers the first job's id.
        """
        if agent_id != RUN_AGENT_ID:
            return NOT_FOUND
        try:
            inputs = json.loads(body)
        except ValueError:
            inputs = {}
        if not isinstance(inputs, dict) or "text" not in inputs:
            return json_answer(400, ["Missing input key text"])
        if key is not None and key in self.keys:
            return json_answer(200, self.keys[key])
        agent_job_id = str(uuid.uuid5(_RUN_NAMESPACE, str(len(self.jobs))))
        result = payload("result_docs_example")
        item = {
            "id": agent_job_id,
            "status": 3,
            "result": result["outputs"],
            "corrected_outputs": None,
            "agent_id": RUN_AGENT_ID,
            "agent_version_id": result["agent_version_id"],
            "cost": None,
            "inputs": [{"key": "text", "value": inputs["text"], "data_type": "text/plain"}],
            "input_tokens": result["input_tokens"],
            "output_tokens": result["output_tokens"],
        }
        self.jobs[agent_job_id] = FakeJob(item, pending_statuses=[0, 1])
        if key is not None:
            self.keys[key] = agent_job_id
        return json_answer(200, agent_job_id)

    def _cancel(self, job: FakeJob) -> Answer:
        """Cancel a running job: `204`, and it is CANCELLED from then on.

        Undocumented, and assumed: cancelling a cancelled job answers `204` again and changes
        nothing; cancelling a job that ended otherwise is a `400` `{"error": ...}`.
        """
        self.cancels.append(job.agent_job_id)
        status = job.current_status()
        if status in TERMINAL and status != 5:
            return json_answer(400, {"error": "Only a running job can be cancelled."})
        job.pending_statuses.clear()
        job.item = {**job.item, "status": 5, "result": None, "corrected_outputs": None}
        return Answer(204)

    def _cancel_all(self, agent_id: str) -> Answer:
        """Cancel an agent's running jobs: the spec's `{note, targeted_count, task_id}`.

        Constructed: the spec shows no example body. An agent this API does not know is a 404.
        """
        known = {RUN_AGENT_ID, self.listing.agent_id} | {
            str(job.item.get("agent_id")) for job in self.jobs.values()
        }
        if agent_id not in known:
            return NOT_FOUND
        self.cancel_alls.append(agent_id)
        running = [
            job
            for job in self.jobs.values()
            if job.item.get("agent_id") == agent_id and job.current_status() not in TERMINAL
        ]
        for job in running:
            self._cancel(job)
            self.cancels.pop()  # counted as the agent's cancel-all, not as one cancel each
        return json_answer(
            200,
            {
                "note": f"Cancellation requested for {len(running)} running job(s).",
                "targeted_count": len(running),
                "task_id": str(uuid.uuid5(_RUN_NAMESPACE, f"cancel-all/{len(self.cancel_alls)}"))
                if running
                else None,
            },
        )

    def _purge(self, job: FakeJob) -> Answer:
        """Delete a finished job's data: the spec's counts, constructed from the job.

        Its file inputs (those with a `file_name`) are the input files deleted and its artifact
        keys the artifacts; a second deletion deletes nothing and says so with zero counts. A job
        that has not finished is the spec's `400` ("job not in final state"), as `{"error": ...}`.
        """
        if job.current_status() not in TERMINAL:
            return json_answer(400, {"error": "Job must be in a final state to delete its data."})
        first = job.agent_job_id not in self.purged
        self.purged.add(job.agent_job_id)
        files = [
            i for i in job.item.get("inputs") or [] if isinstance(i, dict) and i.get("file_name")
        ]
        artifacts = len(re.findall(r"agent-job-[0-9a-f-]{36}/\w+\.json", json.dumps(job.item)))
        return json_answer(
            200,
            {
                "status": "success",
                "deleted_count": len(files) if first else 0,
                "failed_count": 0,
                "artifacts_deleted_count": artifacts if first else 0,
                "artifacts_failed_count": 0,
                "blob_sanitized": True,
                "errors": None,
            },
        )

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


def example_listing(jobs: Iterable[FakeJob]) -> JobTable:
    """The example jobs as one agent's listing, a minute apart in their table order.

    Built from the payloads: each job keeps the agent id its payload names (a live agent's jobs
    share one); its text, which search and the semantic stand-in read, is its inputs' values and
    its outputs' keys and descriptions; its metadata names a team.
    """
    table = JobTable(LISTED_AGENT_ID)
    for position, job in enumerate(jobs):
        item = job.item
        words = [str(i.get("value", "")) for i in item.get("inputs") or [] if isinstance(i, dict)]
        for output in item.get("result") or []:
            words += [output["key"].replace("_", " "), output.get("description") or ""]
        table.add(
            ListedJob(
                job.agent_job_id,
                EPOCH + timedelta(minutes=position),
                status=job.current_status() or 0,
                version_name="version 1",
                metadata={"team": "risk" if "alert_data" in str(item.get("inputs")) else "ops"},
                text=" ".join(words),
                error_message=job.error_message,
            )
        )
    return table


def example_reference(agent_job_id: str, resource_id: str) -> tuple[str, bytes] | None:
    """The files the web-extraction example job cites, constructed (the API shows no such bytes):
    its page as markdown and as HTML, from the output's own description, and a screenshot."""
    if agent_job_id != _WEB_JOB:
        return None
    output = json.loads(payload("result_web_insights_references")["outputs"][0]["value"])
    text = output["description"]
    products = "\n".join(f"- {name}" for name in output["products"])
    extension = resource_id.rsplit(".", 1)[-1]
    if resource_id not in _WEB_REFERENCES:
        return None
    if extension == "md":
        page = f"# Roe AI\n\n{text}\n\n## Products\n\n{products}\n"
        return "text/markdown; charset=utf-8", page.encode()
    if extension == "html":
        items = "".join(f"<li>{name}</li>" for name in output["products"])
        html = f"<html><head><title>Roe AI</title></head><body><p>{text}</p><ul>{items}</ul></body></html>"
        return "text/html; charset=utf-8", html.encode()
    return "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def example_artifact(agent_job_id: str, artifact_key: str) -> Any:
    """The artifacts the AML example job names, constructed to match its findings."""
    if agent_job_id != _AML_JOB or not artifact_key.startswith(f"agent-job-{_AML_JOB}/"):
        return None
    name = artifact_key.split("/", 1)[1]
    if name == "extraction_123.json":
        deposits = [
            {"date": f"2026-08-{day:02d}", "amount": 9500, "branch": branch}
            for day, branch in (
                (3, "Main St"),
                (3, "Harbor"),
                (4, "Elm Ave"),
                (5, "Main St"),
                (5, "Airport"),
            )
        ]
        return {"customer_id": "CUST-9182", "cash_deposits": deposits, "ctr_threshold": 10000}
    if name == "sql_query_124.json":
        return {
            "query": "SELECT count(*) FROM cash_transactions WHERE customer_id = 'CUST-9182' AND date < '2026-08-01'",
            "rows": [{"count": 0}],
        }
    return None


_WEB_JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
_AML_JOB = "7d9f1b3d-5f7a-4c9e-8b1d-3f5a7c9e1b3d"
_WEB_REFERENCES = (
    "5d1e9a7c-2b4f-4c6e-8a0d-1f3b5c7e9a2d.png",
    "8c2f4a6e-0b1d-4e3f-9a5c-7e9b1d3f5a7c.html",
    "3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e.md",
)


def _canonical(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None
