"""What the loopback server knows of agents and runs: one agent, the jobs it starts, their states.

A started job moves PENDING -> STARTED -> SUCCESS as it is asked about (one step per status poll or
result read), and
its outputs are a pure function of its id, like the synthetic jobs'. Single runs keep an
idempotency-key table (a repeated key answers the first job's id, the behaviour the client
assumes); `created` counts the jobs really created, which the reliability tests assert on.

Started jobs can be cancelled (one, or all of the agent's running ones) and have their data
deleted; `cancels`, `cancel_alls` and `deletions` keep every such request, in order. Undocumented,
and chosen here: cancelling a cancelled job answers 204 again and changes nothing; cancelling a job
that ended otherwise is a 400 `{"error": ...}`; deleting a finished job's data a second time
deletes nothing and says so with zero counts.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

AGENT_ID = "5eb1a2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"
VERSION_ID = "6fc2b3d4-e5f6-4071-9b8c-0d1e2f3a4b5c"
AGENT_NAME = "Web Insights: company facts"
INPUT_DEFINITIONS = [
    {
        "key": "url",
        "data_type": "text/x-url",
        "description": "The web page to read",
        "example": "https://www.roe-ai.com",
        "accepts_multiple_files": None,
    },
    {
        "key": "question",
        "data_type": "text/plain",
        "description": "What to find on the page",
        "example": "Who founded the company?",
        "accepts_multiple_files": None,
    },
]
VERSION = {
    "id": VERSION_ID,
    "name": AGENT_NAME,
    "version_name": "version 3",
    "description": "Reads a web page and answers a question about it, citing what it read.",
    "engine_class_id": "WebInsightsEngine",
    "input_definitions": INPUT_DEFINITIONS,
    "engine_config": {},
    "readonly": False,
    "base_agent": {"id": AGENT_ID, "name": AGENT_NAME},
}
AGENT = {
    "id": AGENT_ID,
    "name": AGENT_NAME,
    "current_version_id": VERSION_ID,
    "engine_class_id": "WebInsightsEngine",
    "job_count": 0,
}
#: A question that makes the job fail, so tests can see a failed run.
FAILING_QUESTION = "fail please"
#: A question whose job stays STARTED until it is cancelled, so tests can leave a load mid-run.
RUNNING_QUESTION = "keep running"


@dataclass
class StartedJob:
    inputs: dict[str, Any]
    polls: int = 0
    started_at: float = field(default_factory=time.monotonic)
    duration: float | None = None
    """Seconds the job runs, when it is timed (the benchmarks); else it moves one step a poll."""
    cancelled: bool = False
    purged: bool = False

    @property
    def status(self) -> int:
        if self.cancelled:
            return 5
        if self.inputs.get("question") == RUNNING_QUESTION:
            return 1
        if self.duration is not None:  # PENDING for the first half, STARTED, then SUCCESS
            elapsed = (time.monotonic() - self.started_at) / self.duration
            return 0 if elapsed < 0.5 else 1 if elapsed < 1 else 3
        if self.inputs.get("question") == FAILING_QUESTION and self.polls >= 2:
            return 4
        return min(self.polls, 2) + (1 if self.polls >= 2 else 0)  # 0, 1, then 3


@dataclass
class Runs:
    """The agent's started jobs, their idempotency keys, and how many were created."""

    jobs: dict[str, StartedJob] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    created: int = 0
    job_seconds: float | None = None
    """How long each started job runs, in seconds; None: one step per poll."""
    cancels: list[str] = field(default_factory=list)
    """The job id of every cancel request, in order (refused ones included)."""
    cancel_alls: list[str] = field(default_factory=list)
    """The agent id of every cancel-all request, in order."""
    deletions: list[str] = field(default_factory=list)
    """The job id of every delete-data request that deleted something, in order."""
    conflicts: int = 0
    """Single runs under a key new to the server answer 409 "still being processed" this many
    times (the IETF Idempotency-Key draft's answer while the first request is at work), the job
    created on the first; then the job's id, as for any repeated key."""
    conflicted: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(
        self, method: str, parts: list[str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any] | None:
        """The answer to an agent or run request, or None when the path is not one of theirs."""
        if method == "GET" and parts == ["v1", "agents"]:
            return 200, {"count": 1, "next": None, "previous": None, "results": [AGENT]}
        if method == "GET" and parts[:2] == ["v1", "agents"] and parts[3:4] == ["versions"]:
            if parts[2] != AGENT_ID or parts[4] not in ("current", VERSION_ID):
                return 404, {"detail": "Not found."}
            return 200, VERSION
        if method == "POST" and parts[:3] == ["v1", "agents", "jobs"] and len(parts) == 5:
            return self._control(parts[3], parts[4])
        if (
            method == "POST"
            and parts[:2] == ["v1", "agents"]
            and parts[3:] == ["jobs", "cancel-all"]
        ):
            return self._cancel_all(parts[2])
        if method != "POST" or parts[:3] != ["v1", "agents", "run"]:
            return None
        if parts[3] != AGENT_ID:
            return 404, {"detail": "Not found."}
        if parts[-1] == "many":
            try:
                many = json.loads(body)["inputs"]
            except (ValueError, KeyError, TypeError):
                return 400, {"inputs": ["This field is required."]}
            problems = [p for inputs in many for p in _missing(inputs)]
            if problems:
                return 400, problems[:1]
            return 200, [self._start(inputs) for inputs in many]
        inputs = _form(body, headers.get("content-type", ""))
        problems = _missing(inputs)
        if problems:
            return 400, problems
        key = headers.get("idempotency-key")
        with self.lock:
            if key is not None and key in self.keys:
                if self.conflicted.get(key, 0) < self.conflicts:
                    self.conflicted[key] = self.conflicted.get(key, 0) + 1
                    return 409, {
                        "detail": "A request with this Idempotency-Key is still being processed."
                    }
                return 200, self.keys[key]
            agent_job_id = self._start(inputs)
            if key is not None:
                self.keys[key] = agent_job_id
                if self.conflicts:
                    self.conflicted[key] = 1
                    return 409, {
                        "detail": "A request with this Idempotency-Key is still being processed."
                    }
        return 200, agent_job_id

    def status(self, agent_job_id: str) -> int | None:
        """A started job's status, advancing it one step (None for a job this agent never started)."""
        job = self.jobs.get(agent_job_id)
        if job is None:
            return None
        job.polls += 1
        return job.status

    def peek(self, agent_job_id: str) -> int | None:
        job = self.jobs.get(agent_job_id)
        return None if job is None else job.status

    def _control(self, agent_job_id: str, action: str) -> tuple[int, Any] | None:
        """Cancel one started job, or delete its data; None for a job this agent never started."""
        job = self.jobs.get(agent_job_id)
        if action not in ("cancel", "delete-data") or job is None:
            return None
        with self.lock:
            status = job.status
            if action == "cancel":
                self.cancels.append(agent_job_id)
                if status in (0, 1, 2):
                    job.cancelled = True
                elif status != 5:
                    return 400, {"error": "Only a running job can be cancelled."}
                return 204, None
            if status not in (3, 4, 5, 6):
                return 400, {"error": "Job must be in a final state to delete its data."}
            deleted = 0 if job.purged else 1
            if not job.purged:
                self.deletions.append(agent_job_id)
            job.purged = True
        return 200, {
            "status": "success",
            "deleted_count": deleted,
            "failed_count": 0,
            "artifacts_deleted_count": 0,
            "artifacts_failed_count": 0,
            "blob_sanitized": True,
            "errors": None,
        }

    def _cancel_all(self, agent_id: str) -> tuple[int, Any]:
        """Cancel every running job of the agent: the spec's `{note, targeted_count, task_id}`."""
        if agent_id != AGENT_ID:
            return 404, {"detail": "Not found."}
        with self.lock:
            self.cancel_alls.append(agent_id)
            running = [job for job in self.jobs.values() if job.status in (0, 1, 2)]
            for job in running:
                job.cancelled = True
        task = str(uuid.uuid4()) if running else None
        note = f"Cancellation requested for {len(running)} running job(s)."
        return 200, {"note": note, "targeted_count": len(running), "task_id": task}

    def _start(self, inputs: dict[str, Any]) -> str:
        agent_job_id = str(uuid.uuid4())
        self.jobs[agent_job_id] = StartedJob(inputs, duration=self.job_seconds)
        self.created += 1
        return agent_job_id


def _missing(inputs: Any) -> list[str]:
    if not isinstance(inputs, dict):
        return ["Invalid inputs"]
    return [f"Missing input key {d['key']}" for d in INPUT_DEFINITIONS if d["key"] not in inputs]


def _form(body: bytes, content_type: str) -> dict[str, Any]:
    """A single run's inputs: a JSON body, a urlencoded or a multipart form (files as their names
    and sizes). A name repeated in a form gives a list of its values, in order."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        return {name: one[0] if len(one) == 1 else one for name, one in fields.items()}
    if not content_type.startswith("multipart/"):
        try:
            loaded = json.loads(body or b"{}")
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    values: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        value = f"file:{filename}:{len(content)}" if filename else content.decode()
        values.setdefault(str(name), []).append(value)
    return {name: one[0] if len(one) == 1 else one for name, one in values.items()}
