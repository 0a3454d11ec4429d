"""The next step on the bulk path, prototyped: the async load reading its first window whole.

Today a load reads its first unit alone, to weigh it against the read-ahead budget
(`_loaders/_units.ReadAhead`), which costs one round trip before the others start. The prototype
patches `ReadAhead.units` to start with the whole window, and the bulk workload (`aload`, 5,000
jobs x 4 outputs at 20 ms latency, as `make bench` runs it) is timed against the floor: the floor,
today's load and the prototype in turn, 7 interleaved rounds, median ratio [range].

    PYTHONPATH=. .venv/bin/python -m scripts.bulk_prototypes   (with the bench group installed)
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from unittest import mock

from benchmarks.sides import floor_bulk, ours_bulk
from langchain_roe._loaders import _units
from tests.support.loopback import ServerConfig, job_ids, subprocess_server

ROUNDS = 7
CONCURRENCY = 4


def first_window_whole(self: _units.ReadAhead) -> int:
    """`ReadAhead.units`, but the first window is every unit the concurrency allows."""
    largest = self._largest
    if self._weigh is None or largest is None:
        return self._most
    return max(1, min(self._most, _units.READ_AHEAD_BYTES // max(largest, 1)))


def main() -> None:
    with subprocess_server(ServerConfig(outputs=4, latency=0.020)) as base_url:
        ids = job_ids(5000)

        def floor() -> None:
            asyncio.run(floor_bulk(base_url, ids, CONCURRENCY))

        def ours() -> None:
            asyncio.run(ours_bulk(base_url, ids, CONCURRENCY))

        def prototype() -> None:
            with mock.patch.object(_units.ReadAhead, "units", first_window_whole):
                ours()

        sides: dict[str, Callable[[], None]] = {
            "floor": floor,
            "langchain-roe": ours,
            "first window read whole": prototype,
        }
        for run in sides.values():
            run()  # warm up
        times: dict[str, list[float]] = {name: [] for name in sides}
        names = list(sides)
        for turn in range(ROUNDS):
            for name in names[turn % 3 :] + names[: turn % 3]:
                start = time.perf_counter()
                sides[name]()
                times[name].append(time.perf_counter() - start)
        for name, seconds in times.items():
            ratios = [t / f for t, f in zip(seconds, times["floor"], strict=True)]
            print(
                f"{name:<26} {statistics.median(seconds):.3f} s, against the floor "
                f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
            )


if __name__ == "__main__":
    main()
