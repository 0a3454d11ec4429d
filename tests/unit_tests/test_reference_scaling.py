"""find_references is linear in an output's size, and finds what the old regex found.

The old search (`https?://[^\\s"'<>]+?/v1/agents/jobs/...` with a lazy host) scanned forward from
every `http` start: a long run with no space made it quadratic (a 112 KB run of `https://` took
14 s). It is kept here, as it was, as the oracle the new one must agree with.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import pytest

from langchain_roe import AgentDatum, JobReference, find_references
from langchain_roe._convert._documents import Output, is_json_type
from langchain_roe._convert._references import MAX_REFERENCE_SCAN_NODES, _in_text, _json
from tests.support.example_jobs import AML, WEB, payload

BASE = "https://api.roe-ai.com"
U = "3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e"

# The old implementation, verbatim but for names: the oracle.
_OLD_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_OLD_REFERENCE_URL = re.compile(
    rf"https?://[^\s\"'<>]+?/v1/agents/jobs/{_OLD_UUID}/references/(?P<resource_id>[^/\s\"'<>?#]+)/?"
)
_OLD_ARTIFACT_KEY = re.compile(rf"agent-job-{_OLD_UUID}/[^\s\"'<>]+")
_OLD_MARKERS = ("/references/", "agent-job-", "resource_id")
Cite = tuple[Literal["reference", "artifact"], str, str | None]


def old_find_references(outputs: Sequence[Output]) -> list[JobReference]:
    found: list[JobReference] = []
    for index, output in enumerate(outputs):
        seen: set[tuple[str, str]] = set()
        for kind, value, resource_id in _old_cited(output):
            if (kind, resource_id or value) in seen:
                continue
            seen.add((kind, resource_id or value))
            found.append(JobReference(kind, value, output.key, index, resource_id))
    return found


def _old_cited(output: Output) -> Iterator[Cite]:
    if not any(marker in output.value for marker in _OLD_MARKERS):
        return
    parsed = _json(output.value) if is_json_type(output.data_type) else None
    if parsed is None:
        yield from old_in_text(output.value)
        return
    stack: list[Any] = [parsed]
    visited = 0
    while stack and visited < MAX_REFERENCE_SCAN_NODES:
        node = stack.pop()
        visited += 1
        if isinstance(node, str):
            yield from old_in_text(node)
        elif isinstance(node, dict):
            named = node.get("resource_id")
            if isinstance(named, str) and named:
                url = node.get("url")
                yield "reference", url if isinstance(url, str) and url else named, named
                continue
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def old_in_text(text: str) -> Iterator[Cite]:
    if "/references/" in text:
        for match in _OLD_REFERENCE_URL.finditer(text):
            yield "reference", match.group(0), match["resource_id"]
    if "agent-job-" in text:
        for match in _OLD_ARTIFACT_KEY.finditer(text):
            yield "artifact", match.group(0).rstrip(".,;:)]}"), None


def text_output(value: str, key: str = "output") -> AgentDatum:
    return AgentDatum(key=key, data_type="text/plain", value=value)


def json_output(value: Any, key: str = "output") -> AgentDatum:
    return AgentDatum(key=key, data_type="application/json", value=json.dumps(value))


def json_output_raw(value: str) -> AgentDatum:
    return AgentDatum(key="output", data_type="application/json", value=value)


# --- Scaling: the time of 8N over the time of N, not a wall-clock bound --------------------------

N = 64_000
PATH = f"/v1/agents/jobs/{U}/references/"


def fill(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def touching(n: int) -> str:
    parts, size, i = [], 0, 0
    while size < n:
        parts.append(f"https://h{PATH}r{i}.md/")
        size += len(parts[-1])
        i += 1
    return "".join(parts)


SHAPES: dict[str, Callable[[int], list[AgentDatum]]] = {
    "http": lambda n: [text_output(fill("http", n) + "/references/")],
    "http://": lambda n: [text_output(fill("http://", n) + "/references/")],
    "https://": lambda n: [text_output(fill("https://", n) + "/references/")],
    "scheme and jobs": lambda n: [
        text_output(fill("http://x/v1/agents/jobs/", n) + "/references/")
    ],
    "jobs": lambda n: [text_output("https://h" + fill("/v1/agents/jobs/", n) + "/references/")],
    "paths, scheme last": lambda n: [text_output(fill(f"x {PATH}r", n) + " https://h")],
    "paths, cut by stops": lambda n: [text_output(fill(f"http://a {PATH}r ", n))],
    "paths, no host": lambda n: [text_output(fill(f"http:/{PATH}r", n))],
    "touching urls": lambda n: [text_output(touching(n))],
    "agent-job-": lambda n: [text_output(fill("agent-job-", n))],
    "agent-job- and uuids": lambda n: [text_output(fill(f"agent-job-{U}", n))],
    "artifact run": lambda n: [text_output(f"agent-job-{U}/" + fill("x", n))],
    "uuid-like run": lambda n: [text_output("https://h/" + fill("0123456789abcdef-", n) + PATH)],
    "json strings": lambda n: [json_output([fill("https://", 4000)] * (n // 4000))],
    "deep json": lambda n: [json_output_raw("[" * (n // 2) + '"/references/"' + "]" * (n // 2))],
}


def best_times(*inputs: list[AgentDatum], rounds: int = 5) -> list[float]:
    """Each input's fastest scan over `rounds` rounds, the inputs taken in turn in each round (so
    a busy moment on the machine strikes both alike)."""
    times: list[list[float]] = [[] for _ in inputs]
    for _ in range(rounds):
        for outputs, kept in zip(inputs, times, strict=True):
            began = time.perf_counter()
            find_references(outputs)
            kept.append(time.perf_counter() - began)
    return [min(kept) for kept in times]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_eight_times_the_value_takes_about_eight_times_as_long(shape: str) -> None:
    small, large = best_times(SHAPES[shape](N), SHAPES[shape](8 * N))
    ratio = large / max(small, 1e-6)
    # Linear is about 8 and quadratic about 64; 32 leaves a loaded machine room either way.
    assert ratio < 32, f"{shape}: 8x the size took {ratio:.1f}x the time (linear ~8, quadratic ~64)"


# --- Equivalence with the old search ---------------------------------------------------------------

NOISE = [
    " ", "  ", "\n", "\t", "\xa0", "\u2028", "\u3000", '"', "'", "<", ">", "/", "?", "#", ".", ",",
    ";", ":", ")", "]", "}", "x", "abc", "é", "http", "https", "http:", "http:/", "http://",
    "https://", "ftp://", "HTTP://", "/v1/agents/jobs/", "/v1/agents/jobs", "/references/",
    "/references", "agent-job-", "agent-job", U, U.upper(), U[:-1], U + "0", "g" + U[1:],
    "api.roe-ai.com", ":443", "/v1/", "-", "0123456789abcdef",
]  # fmt: skip


def citation(generator: random.Random) -> str:
    uuid = generator.choice([U, U.upper(), U[:-1] + "Z", AML, WEB])
    if generator.random() < 0.35:
        name = generator.choice(["x.json", "a b", "q.json).", "y.md,", "", "z/w", "k?x#y"])
        return f"agent-job-{uuid}/{name}"
    scheme = generator.choice(["https://", "http://", "https:/", "http://", "https://"])
    host = generator.choice(["h", "api.roe-ai.com", "a.b:8443/base", "", "u:p@h", "http://h"])
    rid = generator.choice(["r.md", "r", "s.png", "", "a?b", "c#d", "e/f", "日本.md", "v1"])
    tail = generator.choice(["/", "", "//", "/.", "?x", " ", "http://"])
    return f"{scheme}{host}/v1/agents/jobs/{uuid}/references/{rid}{tail}"


def random_text(generator: random.Random, pieces: int) -> str:
    parts = []
    for _ in range(pieces):
        parts.append(citation(generator) if generator.random() < 0.3 else generator.choice(NOISE))
    return "".join(parts)


def random_json(generator: random.Random, depth: int = 0) -> Any:
    roll = generator.random()
    if depth > 3 or roll < 0.4:
        return random_text(generator, generator.randint(0, 12))
    if roll < 0.5:
        return generator.choice([None, 1, 2.5, True, {"resource_id": "n.md"}, {"resource_id": ""}])
    if roll < 0.55:
        return {"resource_id": "o.md", "url": random_text(generator, 3)}
    if roll < 0.75:
        return [random_json(generator, depth + 1) for _ in range(generator.randint(0, 4))]
    keys = ["resource_id", "url", "references", "notes", "x"]
    return {generator.choice(keys): random_json(generator, depth + 1) for _ in range(3)}


def generated_outputs(generator: random.Random) -> list[AgentDatum]:
    outputs = []
    for index in range(generator.randint(1, 3)):
        key = f"k{index}"
        if generator.random() < 0.5:
            outputs.append(text_output(random_text(generator, generator.randint(0, 60)), key))
        elif generator.random() < 0.8:
            outputs.append(json_output(random_json(generator), key))
        else:  # long text with citations at random places
            text = list(fill("lorem ipsum dolor ", 3000))
            for _ in range(generator.randint(1, 6)):
                text.insert(generator.randrange(len(text) + 1), citation(generator))
            outputs.append(text_output("".join(text), key))
    return outputs


def example_outputs() -> list[list[AgentDatum]]:
    web = [AgentDatum(**o) for o in payload("result_web_insights_references")["outputs"]]
    aml = [AgentDatum(**o) for o in payload("result_aml_investigation_artifacts")["outputs"]]
    return [
        web,
        aml,
        [
            json_output(
                {"references": [{"resource_id": "a.md"}, {"resource_id": "b", "url": "u"}]}
            ),
            json_output(
                {"deep": [[{"notes": f"see {BASE}/v1/agents/jobs/{WEB}/references/c.md/"}]]}
            ),
            text_output(f"plain text citing {BASE}/v1/agents/jobs/{WEB}/references/d.md/."),
            json_output({"again": [f"agent-job-{AML}/x.json", f"agent-job-{AML}/x.json"]}),
            json_output_raw("not json {"),
            json_output({"references": []}),
        ],
    ]


def test_the_examples_are_found_as_before() -> None:
    for outputs in example_outputs():
        assert find_references(outputs) == old_find_references(outputs)


def test_generated_outputs_are_found_as_before() -> None:
    generator = random.Random(20240611)
    found = 0
    for _ in range(600):
        outputs = generated_outputs(generator)
        expected = old_find_references(outputs)
        assert find_references(outputs) == expected, outputs
        found += len(expected)
    assert found > 1000  # the generator cites, so the comparison is not of empty lists


def test_generated_texts_yield_the_same_citations_in_the_same_order() -> None:
    generator = random.Random(7)
    for _ in range(3000):
        text = random_text(generator, generator.randint(0, 40))
        assert list(_in_text(text)) == list(old_in_text(text)), text


# --- Edge values -----------------------------------------------------------------------------------

URL = f"https://h{PATH}r.md/"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/references/",
        "agent-job-",
        "resource_id",
        PATH,
        "/v1/agents/jobs/",
        "https://",
        URL,
        URL[:-1],
        URL + URL,
        f"https://h{PATH}a/https://h{PATH}b/",
        f"https://h{PATH}ahttps://h{PATH}b",
        URL + " trailing words",
        "leading words " + URL,
        f"http://{PATH}r",
        f"http:/{PATH}r",
        f"https:// {PATH}r",
        f"https://h {URL}",
        f"{URL}agent-job-{U}/k.json",
        f"agent-job-{U}/k.json{URL}",
        f"agent-job-{U}/",
        f"agent-job-{U}/).",
    ],
)
def test_an_edge_value_is_found_as_before(text: str) -> None:
    assert list(_in_text(text)) == list(old_in_text(text))
    for outputs in ([text_output(text)], [json_output([text])], [json_output({"n": text})]):
        assert find_references(outputs) == old_find_references(outputs)


def test_edge_values_on_their_own() -> None:
    assert find_references([text_output("")]) == []
    assert find_references([text_output("/references/")]) == []
    assert find_references([text_output(PATH + "r")]) == []  # a path without a scheme and host
    at_start = find_references([text_output(URL + " and so on")])
    at_end = find_references([text_output("see " + URL)])
    assert [r.value for r in at_start] == [r.value for r in at_end] == [URL]
    two = find_references([text_output(f"https://h{PATH}a/https://h{PATH}b/")])
    assert [(r.value, r.resource_id) for r in two] == [
        (f"https://h{PATH}a/", "a"),
        (f"https://h{PATH}b/", "b"),
    ]
    glued = find_references([text_output(f"https://h{PATH}ahttps://h{PATH}b")])
    assert [r.resource_id for r in glued] == ["ahttps:"]  # the slash after it ends the first URL
