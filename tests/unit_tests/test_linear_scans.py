"""Every scan over text a server sends is linear: ten times the text, about ten times the time.

Ratios, not clocks (a quadratic scan takes about a hundred times as long for ten times the text;
the bound of 30 leaves generous slack for a loaded machine): what the result tool makes of a 1 MB
output against a 100 KB one, and the depth pruning that reads a hostile answer body too deep to
parse (whose old pattern tried every later quote of a run of escaped quotes as a string's start).
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable

import pytest

from langchain_roe import AgentDatum
from langchain_roe._convert._agent_text import result_text
from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core._constants import MAX_JSON_DEPTH
from langchain_roe._core._json import loads, prune_deep

U = "3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e"
JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
PATH = f"/v1/agents/jobs/{JOB}/references/{U}.md/"
SMALL, LARGE = 100_000, 1_000_000
RATIO = 30  # linear is about 10, quadratic about 100


def fill(unit: str, size: int) -> str:
    return unit * (size // len(unit) + 1)


def best_of(run: Callable[[], object], repeat: int = 5) -> float:
    """Seconds a run takes: the fastest of `repeat` samples of about 10 ms each (a fast run is
    repeated within a sample), the garbage collector paused. What other work and a collection add
    to one run is noise here, not the scan's cost."""
    gc.collect()
    gc.disable()
    try:
        began = time.perf_counter()
        run()
        once = time.perf_counter() - began
        runs = max(1, int(0.01 / max(once, 1e-7)))
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            for _ in range(runs):
                run()
            samples.append((time.perf_counter() - began) / runs)
    finally:
        gc.enable()
    return min(samples)


def ratio(large: Callable[[], object], small: Callable[[], object]) -> float:
    """How many times as long `large` takes as `small`: the lowest of three measurements (a
    machine under load inflates one now and then; a quadratic scan inflates all three)."""
    return min(best_of(large) / max(best_of(small), 1e-7) for _ in range(3))


def text(value: str, data_type: str = "text/plain") -> FinishedJob:
    output = AgentDatum(key="answer", data_type=data_type, value=value)
    return FinishedJob(agent_job_id=JOB, outputs=[output])


#: Outputs the result tool reads and lays out: runs that made the old reference finder quadratic,
#: and values that send the layout down its slower paths.
OUTPUTS: dict[str, Callable[[int], FinishedJob]] = {
    "a run of https://": lambda n: text(fill("https://", n)),
    "schemes then a path": lambda n: text(fill("https://", n) + PATH),
    "paths without a host": lambda n: text(fill("https://" + PATH.lstrip("/"), n)),
    "a URL run with no stop": lambda n: text("https://h" + fill(PATH.rstrip("/"), n)),
    "agent-job- keys": lambda n: text(fill(f"agent-job-{U}/x ", n)),
    "JSON strings of schemes": lambda n: text(
        json.dumps([fill("https://", 1000)] * (n // 1000)), "application/json"
    ),
    "JSON of resource ids": lambda n: text(
        json.dumps([{"resource_id": f"{i}.md"} for i in range(n // 25)]), "application/json"
    ),
    "deep JSON": lambda n: text(
        "[" * (n // 2) + '"/references/"' + "]" * (n // 2), "application/json"
    ),
    "escaped quotes in JSON": lambda n: text(
        '["/references/ ' + fill('\\"', n) + '"]', "application/json"
    ),
}


@pytest.mark.parametrize("shape", list(OUTPUTS))
def test_the_result_tools_text_of_a_1_mb_output_takes_about_ten_times_a_100_kb_ones(
    shape: str,
) -> None:
    small, large = OUTPUTS[shape](SMALL), OUTPUTS[shape](LARGE)

    def read(job: FinishedJob) -> Callable[[], object]:
        return lambda: result_text(job, max_chars=20_000)

    times = ratio(read(large), read(small))
    assert times < RATIO, f"{shape}: 10x the size took {times:.1f}x the time"


#: Answer bodies too deep to parse, so that depth pruning reads them (sizes small enough that the
#: old, quadratic pattern fails in seconds rather than hours).
BODIES: dict[str, Callable[[int], bytes]] = {
    "a run of escaped quotes": lambda n: b"[" * 5000 + b'"' + b'\\"' * (n // 2),
    "an unterminated string": lambda n: b"[" * 5000 + b'"' + b"x" * n,
    "many short strings": lambda n: b"[" * 5000 + b'"a",' * (n // 4) + b"]" * 5000,
    "brackets in strings": lambda n: b"[" * 5000 + b'"[{",' * (n // 5) + b"1" + b"]" * 5000,
}


@pytest.mark.parametrize("shape", list(BODIES))
def test_pruning_a_body_too_deep_to_parse_is_linear(shape: str) -> None:
    small, large = BODIES[shape](4_000), BODIES[shape](40_000)
    times = ratio(lambda: prune_deep(large), lambda: prune_deep(small))
    assert times < RATIO, f"{shape}: 10x the size took {times:.1f}x the time"


def test_pruning_still_reads_what_it_did() -> None:
    deep = b"[" * 5000 + b'"a\\"[b",' + b"1" + b"]" * 5000
    node, depth = loads(deep), 1
    while isinstance(node, list):
        (node,) = node
        depth += 1
    assert node is None  # past the depth cap: null, the string's bracket not counted
    assert depth == MAX_JSON_DEPTH + 1
    assert loads(b'{"a": "x\\"y", "b": [1, "]"]}') == {"a": 'x"y', "b": [1, "]"]}
    assert prune_deep(b'["unterminated') == b'["unterminated'  # still unreadable, as before
    with pytest.raises(ValueError, match=r"Unterminated string|Expecting"):
        loads(b"[" * 5000 + b'"' + b'\\"' * 10)
