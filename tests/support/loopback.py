"""A Roe-compatible HTTP server on loopback, with latency and faults on demand.

It serves the four job endpoints over synthetic jobs whose content is a pure function of the job id
(`synthetic_item`), so a client's result can be checked byte for byte. Faults are drawn per request
from a seeded random generator: 5xx, 429 with `Retry-After`, connections dropped before an answer,
truncated or malformed bodies, slow bodies; `black_hole` accepts connections and never answers.

Use `LoopbackServer(config)` as a context manager (a thread of the current process), or run
`python -m tests.support.loopback --port 0 ...` for a separate process (the benchmarks do, so that
the server's work does not share the client's interpreter); it prints `PORT <n>` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import json
import random
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.support.agents import Runs
from tests.support.listing import LISTED_AGENT_ID, JobTable, synthetic_job
from tests.support.references import File, artifact_answer, cited, reference_answer
from tests.support.tables import Tables

JOB_IDS_FIELD = "job_ids"  # the wire name; the server imports nothing of the client
__all__ = ["LISTED_AGENT_ID", "LoopbackServer", "ServerConfig", "job_ids", "synthetic_outputs"]

_RESULT, _STATUS = "result", "status"
#: Paths that act besides runs: a fault "after acting" strikes once the server has done it.
_ACTIONS = ("/cancel/", "/cancel-all/", "/delete-data/", "/tables/upload/")
_JSON = "application/json"


@dataclass
class ServerConfig:
    """What the server serves and how badly."""

    outputs: int = 4
    """Outputs per job."""
    value_bytes: int = 200
    """Approximate size of each output's value."""
    latency: float = 0.0
    """Seconds added before every answer."""
    server_errors: float = 0.0
    """Rate of 503 answers."""
    rate_limits: float = 0.0
    """Rate of 429 answers (with `Retry-After: 1`)."""
    drops: float = 0.0
    """Rate of connections closed after the request is read, with no answer."""
    malformed: float = 0.0
    """Rate of 200 answers whose body is cut short (half of them announce the full length)."""
    slow_bodies: float = 0.0
    """Rate of answers whose body trickles out in pieces."""
    black_hole: bool = False
    """Accept connections and never answer."""
    unknown_ids: list[str] = field(default_factory=list)
    running_ids: list[str] = field(default_factory=list)
    failed_ids: list[str] = field(default_factory=list)
    job_seconds: float | None = None
    """How long each job started by a run takes, in seconds (None: one step per status poll)."""
    faults_after_acting: float = 0.0
    """Share of the dropped connections and 5xx on run, cancel and delete-data requests that
    strike after the server acted (the job created, cancelled or purged; its answer lost). A 429
    never does: a rate limiter turns requests away unprocessed."""
    listed_jobs: int = 0
    """Jobs of `LISTED_AGENT_ID` its job listing serves (`job_ids(listed_jobs)`, a minute apart)."""
    listing_faults: list[str] = field(default_factory=list)
    """How the job listing misbehaves (`tests.support.listing.LISTING_FAULTS`: a server ignoring
    `page` or `page_size`, sending no `count`, or whose `next` never ends)."""
    indexed_listing: bool = False
    """Answer the listing's time windows from a sorted index (`JobTable.index`): for a listing of
    a million jobs. The listing then changes only through `JobTable.add`."""
    corrected_ids: list[str] = field(default_factory=list)
    """Jobs whose batch item carries a reviewer's corrected outputs."""
    references: int = 0
    """Reference URLs each synthetic job's first output cites (markdown, HTML, PNG, JSON in turn)."""
    citing_outputs: int = 1
    """How many of a job's outputs cite its references (the first by URL, the others by
    resource id): a file two outputs cite is still one file."""
    reference_bytes: int = 300
    """Size of each reference file."""
    large_reference_ids: list[str] = field(default_factory=list)
    """Jobs that also cite `large.md`, a file of `large_reference_bytes`."""
    large_reference_bytes: int = 4 * 1024 * 1024
    foreign_reference_ids: list[str] = field(default_factory=list)
    """Jobs that also cite a reference URL on another host (which must never be asked)."""
    idempotency_conflicts: int = 0
    """How many times a single run under a new key answers 409 "still being processed" first
    (`Runs.conflicts`)."""
    seed: int = 7


def synthetic_outputs(agent_job_id: str, outputs: int, value_bytes: int) -> list[dict[str, Any]]:
    """The outputs of a synthetic job: deterministic from its id."""
    made = []
    for index in range(outputs):
        digest = hashlib.sha256(f"{agent_job_id}/{index}".encode()).hexdigest()
        text = (digest * (value_bytes // len(digest) + 1))[:value_bytes]
        value = json.dumps({"job": agent_job_id, "index": index, "text": text, "score": index / 10})
        made.append(
            {
                "key": f"out{index}",
                "description": f"Output {index}",
                "data_type": _JSON,
                "value": value,
                "cost": round(0.001 * (index + 1), 6),
            }
        )
    return made


def job_status(agent_job_id: str, config: ServerConfig) -> int | None:
    """A synthetic job's status: unknown (None), running, failed, else succeeded."""
    if agent_job_id in config.unknown_ids:
        return None
    if agent_job_id in config.running_ids:
        return 1
    return 4 if agent_job_id in config.failed_ids else 3


def synthetic_item(agent_job_id: str, config: ServerConfig) -> dict[str, Any]:
    """The batch result item for a synthetic job."""
    return _item(agent_job_id, job_status(agent_job_id, config), config.outputs, config.value_bytes)


def corrected_outputs(agent_job_id: str, outputs: int, value_bytes: int) -> list[dict[str, Any]]:
    """A reviewer's correction of a synthetic job: its first output's value changed."""
    made = synthetic_outputs(agent_job_id, outputs, value_bytes)
    made[0] = {**made[0], "value": json.dumps({"job": agent_job_id, "corrected": True})}
    return made


@functools.lru_cache(maxsize=50_000)
def _item_bytes(
    agent_job_id: str, status: int | None, outputs: int, value_bytes: int, corrected: bool = False
) -> bytes:
    """An item's JSON, made once: the server's own cost stays small next to a client's."""
    return json.dumps(_item(agent_job_id, status, outputs, value_bytes, corrected)).encode()


def _item(
    agent_job_id: str, status: int | None, outputs: int, value_bytes: int, corrected: bool = False
) -> dict[str, Any]:
    if status is None:
        return {"id": agent_job_id, "status": None, "result": None}
    succeeded = status == 3
    return {
        "id": agent_job_id,
        "status": status,
        "result": synthetic_outputs(agent_job_id, outputs, value_bytes) if succeeded else None,
        "corrected_outputs": (
            corrected_outputs(agent_job_id, outputs, value_bytes)
            if succeeded and corrected
            else None
        ),
        "agent_id": "11111111-2222-4333-8444-555555555555" if succeeded else None,
        "agent_version_id": "66666666-7777-4888-8999-000000000000" if succeeded else None,
        "cost": 0.01 if succeeded else None,
        "inputs": [],
        "input_tokens": 100,
        "output_tokens": 20,
    }


@dataclass(frozen=True)
class Raw:
    """An answer body already encoded."""

    body: bytes


@dataclass(frozen=True)
class Received:
    """One request as the server read it (header names in lower case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LoopbackServer:
    """The server on 127.0.0.1, in a background thread; `requests` counts what it was asked."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.requests = 0
        self.log: list[str] = []
        """Each request answered without a fault, as `METHOD /path?query`."""
        self.failing_references: dict[str, int] = {}
        """References (`<job id>/<resource id>`) whose requests answer with an error status: 503
        (failing for now), 404 (gone); tests may change it between loads."""
        self.references_read: list[str] = []
        """Every reference request answered, as `<job id>/<resource id>`, in order."""
        self.results_read: list[str] = []
        """The id of every job whose outputs were asked for (batch or single), in order."""
        self.received: list[Received] = []
        """Every request read, faulted or not, in order, as it came over the socket: method, path
        with query, headers (names in lower case) and body (`tests/support/wire.py` reads them)."""
        self.runs = Runs(
            job_seconds=self.config.job_seconds, conflicts=self.config.idempotency_conflicts
        )
        """The agent's started jobs; `runs.created` counts the jobs really created."""
        self.listing = JobTable(LISTED_AGENT_ID)
        """The jobs `LISTED_AGENT_ID`'s listing serves; tests may add to it between loads."""
        for position, agent_job_id in enumerate(job_ids(self.config.listed_jobs)):
            status = job_status(agent_job_id, self.config)
            self.listing.add(synthetic_job(agent_job_id, position, 3 if status is None else status))
        self.listing.faults = set(self.config.listing_faults)
        if self.config.indexed_listing:
            self.listing.index()
        self.tables = Tables()
        """Roe tables in SQLite (`tests/support/tables.py`), with what was asked of them."""
        self.corrected = set(self.config.corrected_ids)
        """Jobs whose batch item carries corrected outputs; tests may add to it between loads."""
        self.port = 0
        self._random = random.Random(self.config.seed)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self._thread = threading.Thread(target=lambda: asyncio.run(self.serve()), daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the loopback server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)

    async def serve(self, port: int = 0) -> None:
        """Serve until stopped."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            server.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                self.requests += 1
                self.received.append(Received(request[0], request[1], request[3], request[2]))
                if self.config.black_hole:
                    await asyncio.sleep(3600)
                    return
                if self.config.latency:
                    await asyncio.sleep(self.config.latency)
                if not await self._answer(writer, *request):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str],
    ) -> bool:
        """Write one answer; False when the connection must close."""
        config = self.config
        fault = _pick_fault(self._random.random(), config)
        after_acting = fault in ("drop", "5xx")  # a 429 turns a request away before any work
        acts = "/run/" in path or path.split("?")[0].endswith(_ACTIONS) or method == "DELETE"
        if after_acting and acts and self._random.random() < config.faults_after_acting:
            self.route(method, path, body, headers)  # the server acted; its answer is lost
        if fault == "drop":
            return False
        if fault == "5xx":
            await _write(writer, 503, b'{"detail": "Service temporarily unavailable."}')
            return True
        if fault == "429":
            await _write(writer, 429, b'{"detail": "Rate limit exceeded"}', {"Retry-After": "1"})
            return True
        status, payload = self.route(method, path, body, headers)
        self.log.append(f"{method} {path}")
        if isinstance(payload, File):
            await _write(
                writer, status, payload.body, payload.headers, content_type=payload.content_type
            )
            return True
        encoded = _encode(payload)
        if fault == "malformed":
            cut = encoded[: len(encoded) // 2]
            if self._random.random() < 0.5:  # a body cut in transit: the length promised the whole
                await _write(writer, status, cut, length=len(encoded))
                return False
            await _write(writer, status, cut)
            return True
        slow = self._random.random() < config.slow_bodies
        await _write(writer, status, encoded, slow=slow)
        return True

    def route(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """The answer to a request, without faults."""
        parts = path.split("?")[0].strip("/").split("/")
        route, _, query = path.partition("?")
        answer = self.tables.route(method, route, query, body, headers or {})
        if answer is not None:
            return answer
        answer = self.runs.route(method, parts, body, headers or {})
        if answer is not None:
            return answer
        if method == "GET" and parts[:3] == ["v1", "agents", "jobs"] and len(parts) == 6:
            if parts[4] == "references":
                asked = f"{parts[3]}/{unquote(parts[5])}"
                self.references_read.append(asked)
                failing = self.failing_references.get(asked)
                if failing is not None:
                    return failing, {"detail": f"Failing on purpose ({failing})."}
                return reference_answer(parts[3], parts[5], self.config, headers or {})
            if parts[4:] == ["artifacts", "result"]:
                return artifact_answer(parts[3], path.partition("?")[2])
        if method == "GET" and parts[:2] == ["v1", "agents"] and parts[3:] == ["jobs"]:
            if parts[2] != self.listing.agent_id:
                return 404, {"detail": "Not found."}
            route, _, query = path.partition("?")
            return self.listing.answer(self.base_url, route, query)
        if method == "GET" and len(parts) == 5 and parts[4] in (_RESULT, _STATUS):
            agent_job_id = parts[3]
            if parts[4] == _RESULT:
                self.results_read.append(agent_job_id)
            if not _is_uuid(agent_job_id) or agent_job_id in self.config.unknown_ids:
                return 404, {"detail": "Not found."}
            status = self._status(agent_job_id, advance=True)  # a started job moves on each read
            item = _item(agent_job_id, status, self.config.outputs, self.config.value_bytes)
            if parts[4] == _STATUS:
                payload = {"status": item["status"], "timestamp": 1.0}
                if item["status"] == 4:
                    payload["error_message"] = "synthetic failure"
                return 200, payload
            if item["status"] != 3:
                return 404, {"detail": "Not found."}
            keys = ("agent_id", "agent_version_id", "inputs", "input_tokens", "output_tokens")
            return 200, {**{k: item[k] for k in keys}, "outputs": item["result"]}
        if method == "POST" and path.split("?")[0] in (
            "/v1/agents/jobs/results/",
            "/v1/agents/jobs/statuses/",
        ):
            ids = json.loads(body)[JOB_IDS_FIELD]
            config = self.config
            if path.startswith("/v1/agents/jobs/results/"):
                self.results_read += ids
                encoded = (
                    _item_bytes(
                        i, self._status(i), config.outputs, config.value_bytes, i in self.corrected
                    )
                    if not config.references
                    else json.dumps(
                        cited(
                            json.loads(
                                _item_bytes(
                                    i,
                                    self._status(i),
                                    config.outputs,
                                    config.value_bytes,
                                    i in self.corrected,
                                )
                            ),
                            self.base_url,
                            config,
                        )
                    ).encode()
                    for i in ids
                )
                return 200, Raw(b"[" + b",".join(encoded) + b"]")
            items = [
                _item(i, self._status(i, advance=True), config.outputs, config.value_bytes)
                for i in ids
            ]
            return 200, [
                {
                    "id": i["id"],
                    "status": i["status"],
                    "created_at": None,
                    "last_updated_at": None,
                    "error_message": "synthetic failure" if i["status"] == 4 else None,
                }
                for i in items
                if i["status"] is not None
            ]
        if method == "GET" and path == "/__stats__":
            return 200, {"requests": self.requests}
        return 404, {"detail": "Not found."}

    def _status(self, agent_job_id: str, *, advance: bool = False) -> int | None:
        """A job's status: a started job's (advanced one step by a status poll), else synthetic."""
        if agent_job_id in self.runs.jobs:
            return self.runs.status(agent_job_id) if advance else self.runs.peek(agent_job_id)
        return job_status(agent_job_id, self.config)


def _encode(payload: Any) -> bytes:
    """An answer's body: as encoded already, none (a 204's None), or JSON."""
    if isinstance(payload, Raw):
        return payload.body
    return b"" if payload is None else json.dumps(payload).encode()


def _pick_fault(roll: float, config: ServerConfig) -> str:
    """The fault a roll in [0, 1) falls on, each fault taking its rate's share; "" for none."""
    for rate, fault in (
        (config.drops, "drop"),
        (config.server_errors, "5xx"),
        (config.rate_limits, "429"),
        (config.malformed, "malformed"),
    ):
        if roll < rate:
            return fault
        roll -= rate
    return ""


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, bytes, dict[str, str]] | None:
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return method, path, body, headers


async def _write(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    length: int | None = None,
    slow: bool = False,
    content_type: str = _JSON,
) -> None:
    reason = {
        200: "OK",
        201: "Created",
        202: "Accepted",
        204: "No Content",
        400: "Bad Request",
        404: "Not Found",
        429: "Too Many Requests",
        503: "Service Unavailable",
    }
    lines = [
        f"HTTP/1.1 {status} {reason.get(status, 'Status')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length if length is not None else len(body)}",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if slow:
        step = max(len(body) // 4, 1)
        for start in range(0, len(body), step):
            writer.write(body[start : start + step])
            await writer.drain()
            await asyncio.sleep(0.01)
    else:
        writer.write(body)
    await writer.drain()


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def job_ids(count: int, start: int = 0) -> list[str]:
    """Distinct, deterministic job ids."""
    return [str(uuid.UUID(int=(0xA0 << 120) + n)) for n in range(start, start + count)]


@contextlib.contextmanager
def subprocess_server(config: ServerConfig) -> Iterator[str]:
    """Run the server in its own process; yields its base URL and stops it on exit."""
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.loopback", "--config", json.dumps(asdict(config))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the loopback server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="{}")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = LoopbackServer(ServerConfig(**json.loads(args.config)))

    async def run() -> None:
        task = asyncio.create_task(server.serve(args.port))
        await asyncio.to_thread(server._ready.wait)
        print(f"PORT {server.port}", flush=True)
        await task

    asyncio.run(run())


if __name__ == "__main__":
    main()
