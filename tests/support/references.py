"""What the test servers know of the files and artifacts jobs cite.

A synthetic job cites `config.references` reference files in its first output's JSON value
(`references`, as the web-extraction payload does; the next `config.citing_outputs - 1` outputs
cite the same files as `{"resource_id": ...}` objects in `evidence`): markdown, HTML, PNG and JSON in turn, each a
pure function of the job and resource id, so a client's copy can be checked byte for byte. Range
requests are honoured (206, or 416 past the end), as the spec says. Artifacts answer
`{"result": ...}` for keys of the form `agent-job-<job id>/<name>`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

#: A resource's media type by its extension.
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "png": "image/png",
    "json": "application/json",
}
EXTENSIONS = ("md", "html", "png", "json")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class ReferenceConfig(Protocol):
    references: int
    citing_outputs: int
    reference_bytes: int
    large_reference_ids: list[str]
    large_reference_bytes: int
    foreign_reference_ids: list[str]


@dataclass(frozen=True)
class File:
    """An answer that is a file: its bytes, its media type and any extra headers."""

    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def resource_ids(agent_job_id: str, config: ReferenceConfig) -> list[str]:
    """The resource ids a synthetic job cites (on the server itself)."""
    ids = [f"{n}-{agent_job_id[:8]}.{EXTENSIONS[n % 4]}" for n in range(config.references)]
    if agent_job_id in config.large_reference_ids:
        ids.append("large.md")
    return ids


def cited(item: dict[str, Any], base_url: str, config: ReferenceConfig) -> dict[str, Any]:
    """A batch item with its first output citing the job's references (and any foreign one)."""
    result = item.get("result")
    if not isinstance(result, list) or not result:
        return item
    agent_job_id = item["id"]
    urls = [
        f"{base_url}/v1/agents/jobs/{agent_job_id}/references/{resource_id}/"
        for resource_id in resource_ids(agent_job_id, config)
    ]
    if agent_job_id in config.foreign_reference_ids:
        # The same server under another name: were it asked, its request log would show it.
        port = base_url.rsplit(":", 1)[1]
        urls.append(f"http://localhost:{port}/v1/agents/jobs/{agent_job_id}/references/foreign.md/")
    first = {
        **result[0],
        "value": json.dumps({**json.loads(result[0]["value"]), "references": urls}),
    }
    # The outputs after the first that cite the same files name them by resource id instead.
    evidence = [{"resource_id": r} for r in resource_ids(agent_job_id, config)]
    later = [
        {**output, "value": json.dumps({**json.loads(output["value"]), "evidence": evidence})}
        if index < config.citing_outputs
        else output
        for index, output in enumerate(result[1:], start=1)
    ]
    return {**item, "result": [first, *later]}


def content(agent_job_id: str, resource_id: str, size: int) -> bytes:
    """A reference file's bytes: deterministic from the job and the resource, about `size` long."""
    extension = resource_id.rsplit(".", 1)[-1]
    digest = hashlib.sha256(f"{agent_job_id}/{resource_id}".encode()).hexdigest()
    filler = (digest * (size // len(digest) + 1))[: max(size - 80, 0)]
    if extension == "png":
        return PNG_SIGNATURE + hashlib.sha256(digest.encode()).digest() * (size // 32 + 1)
    if extension == "html":
        return f"<html><body><h1>{resource_id}</h1><p>{filler}</p></body></html>".encode()
    if extension == "json":
        return json.dumps({"resource_id": resource_id, "text": filler}).encode()
    return f"# Reference {resource_id} of {agent_job_id}\n\n{filler}\n".encode()


def reference_answer(
    agent_job_id: str, resource_id: str, config: ReferenceConfig, headers: dict[str, str]
) -> tuple[int, Any]:
    """The answer to `GET .../jobs/<agent_job_id>/references/<resource_id>/`, Range honoured."""
    resource_id = unquote(resource_id)
    if resource_id not in resource_ids(agent_job_id, config):
        return 404, {"detail": "Not found."}
    size = config.large_reference_bytes if resource_id == "large.md" else config.reference_bytes
    body = content(agent_job_id, resource_id, size)
    media_type = MEDIA_TYPES[resource_id.rsplit(".", 1)[-1]]
    return ranged(body, media_type, headers.get("range", ""))


def ranged(body: bytes, media_type: str, asked_range: str) -> tuple[int, Any]:
    """A file's answer to a request with (or without) a `Range` header, as the spec says."""
    asked = _RANGE.match(asked_range)
    if asked is None:
        return 200, File(body, media_type, {"Accept-Ranges": "bytes"})
    start = int(asked[1]) if asked[1] else max(len(body) - int(asked[2] or 0), 0)
    end = int(asked[2]) if asked[1] and asked[2] else len(body) - 1
    if start >= len(body) or start > end:
        return 416, {"detail": "Range not satisfiable."}
    end = min(end, len(body) - 1)
    part = File(
        body[start : end + 1], media_type, {"Content-Range": f"bytes {start}-{end}/{len(body)}"}
    )
    return 206, part


def artifact_answer(agent_job_id: str, query: str) -> tuple[int, Any]:
    """The answer to `GET .../jobs/<agent_job_id>/artifacts/result/?artifact_key=...`."""
    keys = parse_qs(query).get("artifact_key")
    if not keys:
        return 400, ["artifact_key is required"]
    key = keys[0]
    if not key.startswith(f"agent-job-{agent_job_id}/"):
        return 404, {"detail": "Artifact not found."}
    name = key.split("/", 1)[1]
    return 200, {
        "result": {"artifact": name, "rows": [{"n": n, "value": f"{name}:{n}"} for n in range(3)]}
    }
