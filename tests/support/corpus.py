"""Batch answers to load, and what the loader makes of them: the corpus behind the golden test.

`batch_answers()` gathers every batch results body the project holds (payload fixtures, cassettes,
the demo session) and a deterministic set of generated answers that follow the API spec, with the
edge values the code treats specially (a cost of 0.0, empty and missing descriptions, unknown
status codes, reviewer corrections, JSON that is not JSON, non-ASCII text, pages). `outcome()` loads
one through the public loader over a scripted transport, using public API only, so the same code
runs against any version of the package (`scripts/golden_documents.py` records one).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from langchain_roe import RoeAgentJobResultLoader, RoeClient

ROOT = Path(__file__).resolve().parent.parent.parent
PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"
CASSETTES = ROOT / "tests" / "cassettes"
DEMO = ROOT / "langchain_roe" / "demo" / "session.yaml"
GOLDEN = ROOT / "tests" / "fixtures" / "golden_documents.json"
RESULTS_PATH = "/v1/agents/jobs/results/"
#: The cassettes the golden file was recorded from. Later cassettes answer with the same example
#: items (subsets of them), so they add nothing the golden file does not already pin.
GOLDEN_CASSETTES = (
    "client_results_batch",
    "loader_many_jobs",
    "loader_mixed_batch",
    "loader_one_job",
    "loader_unfinished",
    "loader_wait",
)


def batch_answers() -> Iterator[tuple[str, list[str], str]]:
    """(name, ids asked for, body) for every batch results answer the corpus holds."""
    body = (PAYLOADS / "batch_results_mixed.json").read_text(encoding="utf-8")
    yield "payload batch_results_mixed", _ids_in(json.loads(body)), body
    for path in [*(CASSETTES / f"{name}.yaml" for name in GOLDEN_CASSETTES), DEMO]:
        interactions = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
        for n, interaction in enumerate(interactions):
            request, response = interaction["request"], interaction["response"]
            if request["method"] != "POST" or not request["uri"].endswith(RESULTS_PATH):
                continue
            if response["status"]["code"] != httpx.codes.OK:
                continue
            ids = json.loads(request["body"])["job_ids"]
            yield f"{path.parent.name}/{path.name}#{n}", ids, response["body"]["string"]
    generator = random.Random(20261130)
    for n in range(300):
        items = [_item(generator) for _ in range(generator.randint(0, 6))]
        missing = generator.randint(0 if items else 1, 1)  # an id the answer leaves out, at times
        ids = _ids_in(items) + [_new_id(generator) for _ in range(missing)]
        answer: Any = items
        if generator.random() < 0.2:  # the paginated envelope older deployments send
            answer = {"count": len(items), "next": None, "previous": None, "results": items}
        yield f"generated #{n}", list(dict.fromkeys(ids)), json.dumps(answer, ensure_ascii=False)


def outcome(ids: list[str], body: str, *, prefer_corrected: bool) -> dict[str, Any]:
    """What the loader makes of `body` as the answer for `ids`: Documents and failures."""

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == RESULTS_PATH:
            return httpx.Response(
                200, content=body.encode(), headers={"Content-Type": "application/json"}
            )
        return httpx.Response(200, json=[])  # statuses: nothing to add to a failure

    transport = httpx.MockTransport(respond)
    client = RoeClient(
        api_key="corpus-key",
        max_retries=0,
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
    )
    loader = RoeAgentJobResultLoader(
        ids, client=client, continue_on_failure=True, prefer_corrected_outputs=prefer_corrected
    )
    documents = [
        {"id": d.id, "page_content": d.page_content, "metadata": d.metadata} for d in loader.load()
    ]
    failures = {i: type(error).__name__ for i, error in loader.failures.items()}
    return {"documents": documents, "failures": failures}


def _ids_in(items: list[Any]) -> list[str]:
    return [item["id"] for item in items if isinstance(item, dict) and "id" in item]


def _new_id(generator: random.Random) -> str:
    return str(uuid.UUID(int=generator.getrandbits(128), version=4))


TEXTS = [
    "",
    "plain",
    "Ünïcödé ✓ 漢字",
    "line\nbreak",
    '{"not": json',
    "  padded  ",
    "e+10",
    "tab\there",
]
TYPES = [
    "application/json",
    "text/plain",
    "text/markdown",
    "application/vnd.api+json",
    "Application/JSON; charset=utf-8",
    "image/png",
]
COSTS: list[Any] = [0.0, 0.001, 1, 2.5e-7, 123456.789, -0.5, None]


def _json_value(generator: random.Random, depth: int = 0) -> Any:
    roll = generator.random()
    if depth > 3 or roll < 0.4:
        return generator.choice(
            [None, True, 0, -7, 2**70, 0.1, 1e300, 3.0, "text", "Ünï", generator.random()]
        )
    if roll < 0.7:
        return [_json_value(generator, depth + 1) for _ in range(generator.randint(0, 3))]
    return {f"k{n}": _json_value(generator, depth + 1) for n in range(generator.randint(0, 3))}


def _datum(generator: random.Random, index: int) -> dict[str, Any]:
    data_type = generator.choice(TYPES)
    if "json" in data_type.lower() and generator.random() < 0.8:
        value = json.dumps(_json_value(generator), ensure_ascii=generator.random() < 0.5)
    else:
        value = generator.choice(TEXTS)
    datum: dict[str, Any] = {"key": f"out{index}", "data_type": data_type, "value": value}
    roll = generator.random()
    if roll < 0.3:
        datum["description"] = generator.choice(["", "What it is", None])
    if generator.random() < 0.7:
        datum["cost"] = generator.choice(COSTS)
    if generator.random() < 0.1:
        datum["future_field"] = {"added": "later"}
    return datum


def _item(generator: random.Random) -> dict[str, Any]:
    status = generator.choice([3, 3, 3, 6, 6, 4, 5, 1, 0, 2, 9, None])
    succeeded = status in (3, 6)
    outputs = [_datum(generator, n) for n in range(generator.randint(0, 4))]
    item: dict[str, Any] = {"id": _new_id(generator), "status": status}
    item["result"] = outputs if succeeded else generator.choice([None, "ERR_TIMEOUT", 500])
    if generator.random() < 0.3:
        item["corrected_outputs"] = (
            [_datum(generator, n) for n in range(generator.randint(0, 2))]
            if generator.random() < 0.8
            else None
        )
    for name in ("agent_id", "agent_version_id"):
        if generator.random() < 0.8:
            item[name] = _new_id(generator) if succeeded else None
    for name in ("input_tokens", "output_tokens"):
        if generator.random() < 0.8:
            item[name] = generator.choice([0, 17, 120_000, None])
    if generator.random() < 0.5:
        item["cost"] = generator.choice(COSTS)
    if generator.random() < 0.5:
        item["inputs"] = [
            {"key": "doc", "value": _json_value(generator), "data_type": "text/plain"}
        ]
    return item
