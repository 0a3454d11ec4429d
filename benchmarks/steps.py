"""What each commit gave: the goal workloads run by several commits of the package, side by side.

`python -m benchmarks.steps conversion 1578a2b b53277b HEAD` archives each commit's `langchain_roe`
(and `tests/support`) into a temporary directory, then runs the workload once per commit and once
for the floor in fresh processes, round after round in rotating order (5 rounds; `--rounds N`), and
prints each commit's median time and its ratio to the floor's in the same round, median [range].
Each process runs the workload once to warm up and times the second run. Workloads: `conversion`
(`lazy_load`, 20,000 jobs, no latency, against the sequential sync floor), `bulk` (`aload`,
5,000 jobs, 20 ms latency, against the async floor) and `single` (200 sequential
`RoeAgentJobResultTool` calls, 5 ms latency, against a bare GET + `json.loads` each).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
FLOOR = "floor"


def _child(tree: str, workload: str, base_url: str) -> None:
    if tree != FLOOR:
        sys.path.insert(0, tree)
    from benchmarks import sides
    from tests.support.loopback import job_ids

    if workload == "single":
        import httpx

        from langchain_roe import RoeAgentJobResultTool, RoeClient

        ids = job_ids(200)
        if tree == FLOOR:
            http = httpx.Client(base_url=base_url, timeout=60)
            run = lambda: sides.floor_single(http, ids)  # noqa: E731
        else:
            client = RoeClient(api_key=sides.KEY, base_url=base_url)
            tool = RoeAgentJobResultTool(client=client)
            run = lambda: sides.ours_single(tool, ids)  # noqa: E731
    elif workload == "conversion":
        ids = job_ids(20_000)
        if tree == FLOOR:
            run = lambda: sides.floor_sequential(base_url, ids, keep=False)  # noqa: E731
        else:
            run = lambda: sides.ours_streamed(base_url, ids)  # noqa: E731
    else:
        ids = job_ids(5000)
        if tree == FLOOR:
            run = lambda: asyncio.run(sides.floor_bulk(base_url, ids, 4))  # noqa: E731
        else:
            run = lambda: asyncio.run(sides.ours_bulk(base_url, ids, 4))  # noqa: E731
    run()
    start = time.perf_counter()
    run()
    print(time.perf_counter() - start)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:5])
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["conversion", "bulk", "single"])
    parser.add_argument("commits", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from tests.support.loopback import ServerConfig, subprocess_server

    latency = {"bulk": 0.020, "single": 0.005}.get(args.workload, 0.0)
    with (
        tempfile.TemporaryDirectory() as scratch,
        subprocess_server(ServerConfig(outputs=4, latency=latency)) as base_url,
    ):
        trees = {FLOOR: FLOOR}
        for commit in args.commits:
            tree = Path(scratch) / commit
            tree.mkdir()
            archive = subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "archive",
                    commit,
                    "langchain_roe",
                    "tests/support",
                    "tests/__init__.py",
                ],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
            trees[commit] = str(tree)
        names = list(trees)
        times: dict[str, list[float]] = {name: [] for name in names}
        for turn in range(args.rounds):
            shift = turn % len(names)
            for name in names[shift:] + names[:shift]:
                command = [
                    sys.executable,
                    "-m",
                    "benchmarks.steps",
                    "--child",
                    trees[name],
                    args.workload,
                    base_url,
                ]
                done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
                times[name].append(float(done.stdout.split()[-1]))
    for name in names:
        ratios = [a / b for a, b in zip(times[name], times[FLOOR], strict=True)]
        print(
            f"{args.workload} {name}: {statistics.median(times[name]):.3f} s, against the floor "
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
