"""What each of the core's heavier parts costs and buys, measured side by side in one run.

Each part is timed with it and without it, in interleaved rounds (the median and the range of the
rounds are printed), against the loopback server in its own process where a request is involved:

- the sync deadline's watchdog (a `SocketGuard` armed per attempt, one daemon thread): the cost
  per `get_status` call, against the same calls with arming and socket learning switched off;
- the hand-made uuid5 of Document ids, against `uuid.uuid5` (the same ids, checked);
- tool annotations left empty for LangChain (it finds no `RunnableConfig` parameter in them either
  way), against them resolved once and against the source's strings that LangChain's
  `get_type_hints` would evaluate on every call.

    PYTHONPATH=. .venv/bin/python -m scripts.heavy_parts
"""

from __future__ import annotations

import ast
import inspect
import statistics
import textwrap
import time
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from langchain_core.tools.base import _get_runnable_config_param

from langchain_roe import RoeClient
from langchain_roe._convert import _documents
from langchain_roe._core import _attempt
from langchain_roe._tools._result import RoeAgentJobResultTool as ResultTool
from tests.support.loopback import ServerConfig, job_ids, subprocess_server

ROUNDS = 7
CALLS = 400
IDS = 200_000


def _rounds(variants: dict[str, Callable[[], None]]) -> dict[str, list[float]]:
    """Each variant run once per round, in turn, for `ROUNDS` rounds: its seconds per round."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def _show(title: str, times: dict[str, list[float]], per: int, unit: str) -> None:
    base = statistics.median(next(iter(times.values())))
    print(title)
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(
            f"  {name:<38} {median / per * 1e6:8.1f} us/{unit} "
            f"[{min(seconds) / per * 1e6:.1f}-{max(seconds) / per * 1e6:.1f}]  "
            f"ratio {median / base:.3f}"
        )


def _show_calls(what: str, variants: dict[str, Callable[[], None]]) -> None:
    _show(f"{what} over loopback ({CALLS} calls a round):", _rounds(variants), CALLS, "call")


@contextmanager
def _no_watchdog() -> Iterator[None]:
    """Sync attempts with no deadline guard: nothing armed, no socket learnt."""
    with (
        mock.patch.object(_attempt.WATCHDOG, "arm", return_value=None),
        mock.patch.object(_attempt.SocketGuard, "watch", return_value=None),
    ):
        yield


def watchdog() -> None:
    with subprocess_server(ServerConfig()) as base_url:
        client = RoeClient(api_key="loopback-key", base_url=base_url)
        job = job_ids(1)[0]
        client.get_status(job)  # the connection made, the watchdog thread started

        def guarded() -> None:
            for _ in range(CALLS):
                client.get_status(job)

        def unguarded() -> None:
            with _no_watchdog():
                guarded()

        _show_calls("sync get_status", {"with the watchdog": guarded, "without it": unguarded})
        client.close()


def uuid5() -> None:
    jobs = job_ids(IDS // 4)
    namespace = uuid.UUID(_documents.DOCUMENT_ID_NAMESPACE)
    for job in jobs[:100]:
        for i in range(4):
            assert _documents.document_id(job, i) == str(uuid.uuid5(namespace, f"{job}/{i}"))

    def hand_made() -> None:
        for job in jobs:
            for i in range(4):
                _documents.document_id(job, i)

    def standard() -> None:
        for job in jobs:
            for i in range(4):
                str(uuid.uuid5(namespace, f"{job}/{i}"))

    _show(
        f"Document ids ({IDS:,} a round, 4 per job):",
        _rounds({"hand-made uuid5": hand_made, "uuid.uuid5": standard}),
        IDS,
        "id",
    )


def tool_annotations() -> None:
    """What LangChain pays on each tool call to find a `RunnableConfig` parameter of `_run`."""
    source = _source_annotations(ResultTool._run)
    as_written = _with(ResultTool._run, source)
    resolved = _with(ResultTool._run, typing.get_type_hints(as_written))
    assert not ResultTool._run.__annotations__  # none left to read (`resolve_run_annotations`)
    assert _get_runnable_config_param(as_written) is None  # LangChain finds nothing in any
    looks = 20_000

    def look(function: Any) -> Callable[[], None]:
        def run() -> None:
            for _ in range(looks):
                _get_runnable_config_param(function)

        return run

    _show(
        f"LangChain's per-call look at _run's annotations ({looks:,} a round):",
        _rounds(
            {
                "none left to read (today)": look(ResultTool._run),
                "resolved once": look(resolved),
                "as written": look(as_written),
            }
        ),
        looks,
        "call",
    )


def _source_annotations(function: Any) -> dict[str, str]:
    """`function`'s annotations as its source writes them (strings, under `from __future__`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    arguments = definition.args
    named = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    named += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    found = {a.arg: ast.unparse(a.annotation) for a in named if a.annotation is not None}
    if definition.returns is not None:
        found["return"] = ast.unparse(definition.returns)
    return found


def _with(function: Any, annotations: dict[str, Any]) -> Any:
    """A copy of `function` bearing `annotations`."""
    copy = types.FunctionType(
        function.__code__, function.__globals__, function.__name__, function.__defaults__
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__annotations__ = dict(annotations)
    return copy


def main() -> None:
    watchdog()
    uuid5()
    tool_annotations()


if __name__ == "__main__":
    main()
