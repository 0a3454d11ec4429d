"""Where a streamed load's peak RSS goes: the interpreter, each import, the ids, the load.

The bench's memory row (`benchmarks/run.py`, section `memory`) compares `lazy_load`'s peak RSS with
`load()`'s, 20,000 jobs x 4 outputs of 2 kB, each in a fresh process. This splits that peak, each
part measured in fresh processes against the loopback server in its own process:

- the interpreter alone, then each import in turn (RSS after it; a package that pulls others, as
  httpx pulls its command line's `rich` and `click` when they are installed, is named with them);
- the TLS context a client's first pool builds (certifi's bundle loaded);
- the caller's ids, the loader built (ids checked, repeats dropped, the client);
- the load itself: the process's peak (`VmHWM`) over what it held before the load, and the
  threads it ran, for the sizings side by side: the default (requests of 1000 ids whatever they
  weigh), `batch_size=32` (about 256 KiB of these outputs a request: what the prototype on branch
  `rss`, not landed, asks for when it sizes a sync load's requests by its jobs' weight; it costs
  thirty times the requests), and `max_concurrency=1`; `load()` last, for the ratio.

    PYTHONPATH=. .venv/bin/python -m scripts.rss_parts [--jobs 20000] [--rounds 3]
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
from typing import Any

# Nothing else at the top: a child measures what it imports, so the parent's tools load in `main`.

IMPORTS = (
    "ssl",
    "httpx",
    "pydantic",
    "msgspec",
    "langchain_core.documents",
    "langchain_core.document_loaders.base",
    "langchain_roe",
    "langchain_roe.document_loaders",
    "tests.support.loopback",
)
#: What an import may pull that is worth naming (whether it did).
PULLED = ("rich", "click", "requests", "langsmith", "pydantic.v1", "langchain_core.runnables.base")
LOADS: dict[str, dict[str, Any]] = {
    "lazy_load, default (1000 ids a request)": {},
    "lazy_load, batch_size=32 (256 KiB a request)": {"batch_size": 32},
    "lazy_load, max_concurrency=1": {"max_concurrency": 1},
    "load()": {},
}


def _status(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    raise LookupError(key)


def _imports() -> dict[str, Any]:
    parts: dict[str, Any] = {"the interpreter (and json, importlib, threading)": _status("VmRSS")}
    for name in IMPORTS:
        before = set(sys.modules)
        importlib.import_module(name)
        pulled = [p for p in PULLED if p in sys.modules and p not in before]
        label = f"import {name}" + (f" (pulls {', '.join(pulled)})" if pulled else "")
        parts[label] = _status("VmRSS")
    import ssl

    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    parts["a TLS context (certifi's bundle)"] = _status("VmRSS")
    del context
    return parts


def _load(name: str, jobs: int, base_url: str) -> dict[str, Any]:
    from langchain_roe import RoeAgentJobResultLoader, RoeClient
    from tests.support.loopback import job_ids

    parts: dict[str, Any] = {"imports": _status("VmRSS")}
    ids = job_ids(jobs)
    parts["the caller's ids"] = _status("VmRSS")
    client = RoeClient(api_key="bench-key", base_url=base_url)
    loader = RoeAgentJobResultLoader(ids, client=client, **LOADS[name])
    parts["the loader built"] = before = _status("VmRSS")
    threads = 0
    if name == "load()":
        loader.load()
    else:
        for count, _ in enumerate(loader.lazy_load()):
            if count % 1000 == 0:
                threads = max(threads, threading.active_count())
    parts["peak"] = _status("VmHWM")
    parts["the load (peak over the loader built)"] = parts["peak"] - before
    parts["threads"] = threads
    return parts


def _child(args: list[str]) -> dict[str, Any]:
    if args[0] == "imports":
        return _imports()
    return _load(args[0], int(args[1]), args[2])


def _run(*args: str) -> dict[str, Any]:
    import subprocess

    command = [sys.executable, "-m", "scripts.rss_parts", "--child", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(sys.argv[2:])))
        return 0
    import argparse
    import statistics

    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    jobs, rounds = parser.parse_args().jobs, parser.parse_args().rounds
    from tests.support.loopback import ServerConfig, subprocess_server

    def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
        return {k: statistics.median(r[k] for r in runs) for k in runs[0]}

    imports = medians([_run("imports") for _ in range(rounds)])
    print("RSS after each step, MiB (median of fresh processes):")
    last = 0.0
    for label, rss in imports.items():
        print(f"  {rss:6.1f}  (+{rss - last:5.1f})  {label}")
        last = rss
    with subprocess_server(ServerConfig(outputs=4, value_bytes=2000)) as base_url:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in LOADS}
        for _ in range(rounds):  # the loads take turns
            for name in LOADS:
                runs[name].append(_run(name, str(jobs), base_url))
    print(f"\n{jobs:,} jobs x 4 outputs of 2 kB, MiB (median of {rounds} fresh processes):")
    for name, found in runs.items():
        m = medians(found)
        ids, built = (
            m["the caller's ids"] - m["imports"],
            m["the loader built"] - m["the caller's ids"],
        )
        load = m["the load (peak over the loader built)"]
        print(
            f"  {name:30} imports {m['imports']:5.1f}, ids +{ids:4.1f}, loader +{built:4.1f}, "
            f"load +{load:5.1f} ({m['threads']:.0f} threads) -> peak {m['peak']:5.1f}"
        )
    kept = statistics.median(r["peak"] for r in runs["load()"])
    print("\npeak against load()'s (the bench's goal: <= 0.2):")
    for name, found in runs.items():
        if name != "load()":
            print(f"  {name:30} {statistics.median(r['peak'] for r in found) / kept:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
