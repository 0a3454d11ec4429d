"""Peak memory of one load, each in a fresh process: peak RSS (what the OOM killer sees) or traced.

`python -m benchmarks.peaks <how> <jobs> <base_url> <rss|traced>` runs one load and prints its peak in
MiB. RSS is the process's high-water mark (`VmHWM`, else `ru_maxrss`: the interpreter, the imports, the caller's ids
and the load, everything the allocator holds); traced is `tracemalloc`'s peak of Python allocations
during the load alone (what Python holds, not what the allocator keeps).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Callable

from langchain_roe import RoeAgentJobResultLoader, RoeClient
from tests.support.loopback import LISTED_AGENT_ID, job_ids

KEY = "bench-key"
LISTING_PAGE = 500


def _load(how: str, jobs: int, base_url: str) -> Callable[[], object]:
    client = RoeClient(api_key=KEY, base_url=base_url)
    if how == "listed":
        loader = RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, client=client, page_size=LISTING_PAGE
        )
    else:
        loader = RoeAgentJobResultLoader(job_ids(jobs), client=client)  # the caller's ids
    if how == "load":
        return loader.load

    def streamed() -> None:
        for _ in loader.lazy_load():
            pass

    return streamed


def peak_rss() -> float:
    """This process's peak RSS in MiB.

    Linux's `VmHWM` is this program's own high-water mark; `ru_maxrss` is not (it carries over the
    parent's RSS at `fork` across `exec`, so a child of a large bench process reports the parent).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    how, jobs, base_url, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    run = _load(how, jobs, base_url)
    if kind == "traced":
        tracemalloc.start()
        run()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    else:
        run()
        peak = peak_rss()
    print(f"{peak:.3f}")
    return 0


def peaks(
    runs: dict[str, tuple[str, int]], base_url: str, kind: str, rounds: int
) -> dict[str, list[float]]:
    """Each named load's peak MiB in `rounds` fresh processes, the loads taking turns."""
    found: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (how, jobs) in runs.items():
            command = [sys.executable, "-m", "benchmarks.peaks", how, str(jobs), base_url, kind]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            found[name].append(float(done.stdout.split()[-1]))
    return found


if __name__ == "__main__":
    raise SystemExit(main())
