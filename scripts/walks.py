"""How much of the package one request crosses, for two walks, offline against the loopback server.

1. `loader`: `RoeAgentJobResultLoader([one job id], client=...).lazy_load()`, consumed fully.
2. `toolkit`: `RoeToolkit.from_agents([agent id], client=...)`, `get_tools()`, then one `invoke` of
   the run tool for a job that finishes (the loopback server serves the agent's version and runs).

How it measures: a profile function (`sys.setprofile`, and `threading.setprofile` for the threads a
walk starts, such as the loader's worker) sees every call and resume of a code object whose file
lies in `langchain_roe/`. It counts the distinct files and functions (file and `co_qualname`; a
comprehension is a function of its own) that ran, the package frames on the stack at the deepest
entry into `httpx.Client.send` or `httpx.AsyncClient.send` ("hops"), and the runs of
`RoeClient.__init__` ("clients built"). The server and the client are made outside the measured
region (they are the caller's), the toolkit's `from_agents` inside it. Each walk runs once
unmeasured first, with its own server and client, so one-time work (lazy imports, the watchdog
thread's start, caches) is not counted.

    PYTHONPATH=. .venv/bin/python scripts/walks.py [--json]      (or: make walks)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from types import CodeType, FrameType

import httpx

import langchain_roe
from langchain_roe import RoeAgentJobResultLoader, RoeClient, RoeToolkit
from tests.support.agents import AGENT_ID
from tests.support.loopback import LoopbackServer, ServerConfig, job_ids

PACKAGE = os.path.dirname(os.path.abspath(langchain_roe.__file__)) + os.sep
SENDS = (httpx.Client.send.__code__, httpx.AsyncClient.send.__code__)
CLIENT_INIT = RoeClient.__init__.__code__
RUN_ARGS = {"url": "https://www.roe-ai.com", "question": "Who founded it?"}


@dataclass
class Walk:
    """What one walk crossed."""

    walk: str
    files: int
    functions: int
    hops: int
    clients_built: int


@dataclass
class _Recorder:
    functions: set[tuple[str, str]] = field(default_factory=set)
    hops: int = 0
    clients: int = 0
    active: bool = True
    _ours: dict[CodeType, bool] = field(default_factory=dict)

    def _in_package(self, code: CodeType) -> bool:
        known = self._ours.get(code)
        if known is None:
            known = self._ours[code] = os.path.abspath(code.co_filename).startswith(PACKAGE)
        return known

    def profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event != "call" or not self.active:
            return
        code = frame.f_code
        if code in SENDS:
            hops, up = 0, frame.f_back
            while up is not None:
                hops += self._in_package(up.f_code)
                up = up.f_back
            self.hops = max(self.hops, hops)
        elif self._in_package(code):
            self.functions.add((code.co_filename[len(PACKAGE) :], code.co_qualname))
            self.clients += code is CLIENT_INIT


def measure(name: str, walk: Callable[[RoeClient], None], client: RoeClient) -> Walk:
    """Run `walk(client)` under the profile function; what package code it crossed."""
    recorder = _Recorder()
    threading.setprofile(recorder.profile)
    sys.setprofile(recorder.profile)
    try:
        walk(client)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        recorder.active = False
    functions = set(recorder.functions)
    files = {path for path, _ in functions}
    return Walk(name, len(files), len(functions), recorder.hops, recorder.clients)


def loader_walk(client: RoeClient) -> None:
    documents = list(RoeAgentJobResultLoader(job_ids(1), client=client).lazy_load())
    if not documents:
        raise RuntimeError("the loader made no Document")


def toolkit_walk(client: RoeClient) -> None:
    run_tool = RoeToolkit.from_agents([AGENT_ID], client=client).get_tools()[0]
    answer = run_tool.invoke(RUN_ARGS)
    if "out0" not in str(answer):
        raise RuntimeError(f"the run did not finish with outputs: {answer!r}")


WALKS = {"loader": loader_walk, "toolkit": toolkit_walk}


def measure_walks() -> list[Walk]:
    """Both walks, each measured on its second run (a fresh server and client for each run)."""
    measured = []
    for name, walk in WALKS.items():
        for warm_up in (True, False):
            with (
                LoopbackServer(ServerConfig()) as server,
                RoeClient(api_key="loopback-key", base_url=server.base_url) as client,
            ):
                if warm_up:
                    walk(client)
                else:
                    measured.append(measure(name, walk, client))
    return measured


def table(walks: list[Walk]) -> str:
    """The walks as an aligned text table."""
    line = "{:<8} {:>6} {:>10} {:>5} {:>14}".format
    rows = [line("walk", "files", "functions", "hops", "clients built")]
    rows += [line(w.walk, w.files, w.functions, w.hops, w.clients_built) for w in walks]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the walks as JSON")
    as_json = parser.parse_args(argv).json
    walks = measure_walks()
    print(json.dumps([asdict(w) for w in walks], indent=2) if as_json else table(walks))


if __name__ == "__main__":
    main()
