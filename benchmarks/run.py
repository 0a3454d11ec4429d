"""`make bench`: langchain-roe against the floor (bare httpx), by-hand scripts and the official SDK.

Every figure is measured in one run against the same loopback server (a separate process, so its
work does not share our interpreter). Timed sides take turns over interleaved rounds with the garbage
collector left as it falls (`harness.py`); memory is each load's peak RSS in a fresh process, with
`tracemalloc`'s peak beside it (`peaks.py`). The table is written to benchmarks/results.md and into
the README's benchmark section, so the two cannot drift. Absolute times on shared machines are noise;
the ratios and their ranges are the result.

`python -m benchmarks.run bulk conversion` measures those sections alone and rewrites nothing.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Before anything imports Ray: `make bench` runs under `uv run`, whose Ray hook would start the
# workers through `uv run` (tests/conftest.py says what that did); no usage reporting either.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import httpx
from langchain_core.documents import Document

from benchmarks.harness import ROUNDS, Goal, Row, side_by_side, table
from benchmarks.peaks import peaks
from benchmarks.sides import (
    KEY,
    LISTING_PAGE,
    SDK_ORGANIZATION,
    floor_bulk,
    floor_documents,
    floor_sequential,
    floor_single,
    listed_documents_by_hand,
    ours_bulk,
    ours_kept,
    ours_single,
    ours_streamed,
    same_documents_by_hand,
    sdk_bulk,
)
from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeAgentRunLoader,
    RoeClient,
)
from langchain_roe._convert._documents import FinishedJob, job_documents
from langchain_roe._core._calls import match_by_id
from langchain_roe._core._wire_fast import decode_batch, read_item
from tests.support.agents import AGENT_ID
from tests.support.loopback import (
    LISTED_AGENT_ID,
    ServerConfig,
    job_ids,
    subprocess_server,
    synthetic_item,
)

JOB_SECONDS = 3.0
MEMORY_ROUNDS = 3
"""Fresh processes per load measured for memory."""
RESULTS = Path(__file__).with_name("results.md")
README = Path(__file__).parent.parent / "README.md"
#: The README's generated part lies between these lines.
BEGIN, END = "<!-- make bench writes from here -->", "<!-- make bench writes to here -->"


def bulk() -> list[Row]:
    ids = job_ids(5000)
    with subprocess_server(ServerConfig(outputs=4, latency=0.020)) as base_url:
        by_hand = functools.partial(same_documents_by_hand, base_url=base_url)
        sample = ids[:50]  # each pair of sides must make the same Documents, or nothing compares
        assert asyncio.run(ours_bulk(base_url, sample, 4)) == asyncio.run(
            floor_bulk(base_url, sample, 4, by_hand)
        )
        sides: dict[str, Callable[[], Any]] = {
            "floor": lambda: asyncio.run(floor_bulk(base_url, ids, 4)),
            "langchain-roe": lambda: asyncio.run(ours_bulk(base_url, ids, 4)),
            "same work by hand": lambda: asyncio.run(floor_bulk(base_url, ids, 4, by_hand)),
        }
        sdk = importlib.util.find_spec("roe") is not None
        if sdk:
            assert sdk_bulk(base_url, sample) == asyncio.run(floor_bulk(base_url, sample, 4))
            sides["roe-ai SDK"] = lambda: sdk_bulk(base_url, ids)
        times = side_by_side(sides)
        if sdk:  # as users get it: 10 s between chunks; one turn is enough
            times |= side_by_side(
                {"SDK defaults": lambda: sdk_bulk(base_url, ids, None)}, 1, warm_up=False
            )
    what = "bulk: 5,000 jobs x 4 outputs, 20 ms latency, `aload`"
    ours = times["langchain-roe"]
    rows = [
        Row(
            what,
            "langchain-roe vs the floor (bare Documents)",
            ours,
            times["floor"],
            goal=Goal("<=", 1.10),
        ),
        Row(
            what,
            "langchain-roe vs a hand-written script making the same Documents",
            ours,
            times["same work by hand"],
            note="(how much is the package)",
        ),
    ]
    if sdk:
        rows.append(
            Row(
                what,
                "roe-ai SDK at its fastest (`batch_chunk_delay=0`, the floor's bare "
                "Documents) vs langchain-roe",
                times["roe-ai SDK"],
                ours,
                goal=Goal(">=", 2.5),
            )
        )
        rows.append(
            Row(
                what,
                "roe-ai SDK as configured by default (10 s between chunks; one "
                "turn) vs langchain-roe",
                times["SDK defaults"],
                ours,
                note="(as users get it)",
            )
        )
    return rows


def single() -> list[Row]:
    ids = job_ids(200)
    with subprocess_server(ServerConfig(outputs=4, latency=0.005)) as base_url:
        tool = RoeAgentJobResultTool(client=RoeClient(api_key=KEY, base_url=base_url))
        http = httpx.Client(base_url=base_url, timeout=60)

        times = side_by_side(
            {"floor": lambda: floor_single(http, ids), "tool": lambda: ours_single(tool, ids)}
        )
    return [
        Row(
            "single: 200 sequential tool calls, 5 ms latency",
            "tool vs bare httpx GET + json.loads",
            times["tool"],
            times["floor"],
            goal=Goal("<=", 1.10),
        )
    ]


def conversion() -> list[Row]:
    ids = job_ids(20_000)
    with subprocess_server(ServerConfig(outputs=4)) as base_url:
        times = side_by_side(
            {
                "floor, streamed": lambda: floor_sequential(base_url, ids, keep=False),
                "lazy_load": lambda: ours_streamed(base_url, ids),
                "floor, kept": lambda: floor_sequential(base_url, ids),
                "load": lambda: ours_kept(base_url, ids),
            }
        )
    config = ServerConfig(outputs=4)
    body = json.dumps([synthetic_item(i, config) for i in job_ids(1000)]).encode()

    def ours_convert() -> None:
        for item in match_by_id(job_ids(1000), decode_batch(body), read_item).values():
            assert not isinstance(item, Exception)
            job_documents(FinishedJob.from_item(item.id, item), source="https://api.roe-ai.com/")

    micro = side_by_side(
        {"floor": lambda: floor_documents(json.loads(body)), "ours": ours_convert}, rounds=9
    )
    what = "conversion: 20,000 jobs x 4 outputs, no latency"
    floor = "a plain sequential sync script (`httpx.Client`, `json.loads`, bare Documents)"
    return [
        Row(
            f"{what}, `lazy_load` (streamed)",
            f"langchain-roe vs {floor}, dropping them",
            times["lazy_load"],
            times["floor, streamed"],
            goal=Goal("<=", 1.25),
        ),
        Row(
            f"{what}, `load()` (kept)",
            f"langchain-roe vs {floor}, keeping them",
            times["load"],
            times["floor, kept"],
            note="(the bound for these Documents: about 1.25)",
        ),
        Row(
            "conversion only: a 1,000-job answer body to Documents (9 rounds)",
            "ours (decode + Documents) vs `json.loads` + bare `Document(...)`",
            micro["ours"],
            micro["floor"],
            note="(what the Documents cost)",
        ),
    ]


def runs() -> list[Row]:
    """500 inputs run, waited for and read: the run loader against the SDK's `run_many` + `wait`."""
    given = [{"url": f"https://example.com/{n}", "question": f"q{n}"} for n in range(500)]
    config = ServerConfig(outputs=4, latency=0.020, job_seconds=JOB_SECONDS)
    with subprocess_server(config) as base_url:

        def ours() -> list[Document]:
            with RoeClient(api_key=KEY, base_url=base_url) as client:
                return RoeAgentRunLoader(AGENT_ID, given, client=client).load()

        def sdk(interval: float) -> list[Document]:
            from roe import RoeClient as SdkClient

            sdk_client = SdkClient(
                api_key=KEY,
                organization_id=SDK_ORGANIZATION,
                base_url=base_url,
                batch_chunk_delay=0,
            )
            batch = sdk_client.agents.run_many(AGENT_ID, given)
            items = batch.wait(interval=interval)
            return [
                Document(page_content=o.value, metadata={"agent_job_id": str(i.id), "key": o.key})
                for i in items
                if i is not None
                for o in i.result
            ]

        assert len(ours()) == 4 * len(given)
        sides: dict[str, Callable[[], Any]] = {"langchain-roe": ours}
        if importlib.util.find_spec("roe"):
            sides["as it comes (5 s polls)"] = lambda: sdk(5.0)
        times = side_by_side(sides, warm_up=False)
    what = f"runs: 500 inputs, jobs of {JOB_SECONDS:g} s, 20 ms latency, run + wait + read"
    rows = []
    for name, goal, note in (("as it comes (5 s polls)", Goal("<=", 1.0), ""),):
        if name in times:
            comparison = f"`RoeAgentRunLoader` vs roe-ai SDK `run_many` + `wait`, {name}"
            rows.append(
                Row(what, comparison, times["langchain-roe"], times[name], goal=goal, note=note)
            )
    return rows


def memory() -> list[Row]:
    config = ServerConfig(outputs=4, value_bytes=2000)
    loads = {
        "lazy 20k": ("lazy", 20_000),
        "lazy 80k": ("lazy", 80_000),
        "load 20k": ("load", 20_000),
    }
    with subprocess_server(config) as base_url:
        rss = peaks(loads, base_url, "rss", MEMORY_ROUNDS)
        traced = peaks(loads, base_url, "traced", 1)
    what = "memory: 4 outputs of 2 kB a job, peak"
    return [
        Row(
            f"{what} RSS (fresh processes)",
            "`lazy_load`, 20,000 jobs vs `load()`, 20,000 jobs",
            rss["lazy 20k"],
            rss["load 20k"],
            "MiB",
            Goal("<=", 0.2),
        ),
        Row(
            f"{what} RSS (fresh processes)",
            "`lazy_load`, 80,000 jobs vs 20,000 jobs",
            rss["lazy 80k"],
            rss["lazy 20k"],
            "MiB",
            Goal("<=", 1.15),
        ),
        Row(
            f"{what} traced (`tracemalloc`, one process each)",
            "`lazy_load`, 20,000 jobs vs `load()`, 20,000 jobs",
            traced["lazy 20k"],
            traced["load 20k"],
            "MiB",
            note="(what Python holds)",
        ),
        Row(
            f"{what} traced (`tracemalloc`, one process each)",
            "`lazy_load`, 80,000 jobs vs 20,000 jobs",
            traced["lazy 80k"],
            traced["lazy 20k"],
            "MiB",
            note="(what Python holds)",
        ),
    ]


LISTED_JOBS = 20_000


def listing() -> list[Row]:
    """`from_agent` over 20,000 listed jobs: time against list-then-batch by hand, peak RSS
    against the same jobs loaded by their ids."""
    timing = ServerConfig(listed_jobs=LISTED_JOBS, outputs=4, latency=0.005)
    with subprocess_server(timing) as base_url:
        client = RoeClient(api_key=KEY, base_url=base_url)

        def ours(**filters: Any) -> RoeAgentJobResultLoader:
            return RoeAgentJobResultLoader.from_agent(
                LISTED_AGENT_ID, client=client, page_size=LISTING_PAGE, **filters
            )

        # Both sides must make the same Documents, or the comparison means nothing.
        window = {"created_to": "2026-11-02T10:00:00+00:00"}  # the first 61 jobs
        assert ours(**window).load() == listed_documents_by_hand(base_url, 4, window, keep=True)

        async def streamed() -> int:
            return sum([1 async for _ in ours().alazy_load()])

        times = side_by_side(
            {
                "langchain-roe": lambda: asyncio.run(streamed()),
                "list-then-batch by hand": lambda: listed_documents_by_hand(base_url, 4),
            }
        )
        client.close()
    sizes = ServerConfig(listed_jobs=LISTED_JOBS, outputs=4, value_bytes=2000)
    with subprocess_server(sizes) as base_url:
        loads = {"listed": ("listed", LISTED_JOBS), "by ids": ("lazy", LISTED_JOBS)}
        rss = peaks(loads, base_url, "rss", MEMORY_ROUNDS)
    return [
        Row(
            "listing: `from_agent` over 20,000 jobs x 4 outputs, 500 a page, 5 ms latency, streamed",
            "langchain-roe (pages read as the load goes) vs a hand-written list-then-batch script "
            "making the same Documents",
            times["langchain-roe"],
            times["list-then-batch by hand"],
            goal=Goal("<=", 1.0),
        ),
        Row(
            "memory: `from_agent` `lazy_load` peak RSS (fresh processes), 20,000 jobs x 4 outputs "
            "of 2 kB",
            "listed by the loader vs the same jobs loaded by their ids",
            rss["listed"],
            rss["by ids"],
            "MiB",
            note="(flat: about 1)",
        ),
    ]


RAY_JOBS = 5000
PLANNED_JOBS = 1_000_000


def ray_reads() -> list[Row]:
    """`read_roe_jobs` with 1, 2 and 4 read tasks against the single-process loader, 20 ms
    latency, on a local Ray of 4 CPUs started here; then the planning cost of 1,000,000 jobs."""
    from langchain_roe.ray import plan_partitions, read_roe_jobs
    from tests.support.local_ray import local_ray

    config = ServerConfig(listed_jobs=RAY_JOBS, outputs=4, latency=0.020)
    documents = RAY_JOBS * 4
    with subprocess_server(config) as base_url, local_ray():
        client = RoeClient(api_key=KEY, base_url=base_url)

        def loader() -> int:
            listed = RoeAgentJobResultLoader.from_agent(
                LISTED_AGENT_ID, client=client, page_size=1000
            )
            return sum(1 for _ in listed.lazy_load())

        def ray_read(tasks: int) -> Callable[[], int]:
            def run() -> int:
                dataset = read_roe_jobs(
                    LISTED_AGENT_ID, api_key=KEY, base_url=base_url, override_num_blocks=tasks
                )
                batches = dataset.iter_batches(batch_size=None, batch_format="pyarrow")
                return sum(batch.num_rows for batch in batches)

            return run

        assert loader() == ray_read(4)() == documents
        sides: dict[str, Callable[[], Any]] = {"loader": loader}
        sides |= {f"{n} read tasks": ray_read(n) for n in (1, 2, 4)}
        times = side_by_side(sides)
        client.close()
    rows = []
    loader_rate = documents / statistics.median(times["loader"])
    for n in (1, 2, 4):
        ours = times[f"{n} read tasks"]
        rows.append(
            Row(
                f"ray: {RAY_JOBS:,} jobs x 4 outputs, 20 ms latency, {n} read task(s)",
                f"`read_roe_jobs` ({documents / statistics.median(ours):,.0f} Documents/s) vs the "
                f"single-process loader, `from_agent` ({loader_rate:,.0f} Documents/s)",
                ours,
                times["loader"],
                note="(one 2-core machine: CPU-bound)",
            )
        )
    planning = ServerConfig(
        listed_jobs=PLANNED_JOBS, outputs=1, latency=0.020, indexed_listing=True
    )
    with subprocess_server(planning) as base_url:
        client = RoeClient(api_key=KEY, base_url=base_url)
        before = httpx.get(f"{base_url}/__stats__").json()["requests"]
        start = time.perf_counter()
        plan = plan_partitions(LISTED_AGENT_ID, partitions=200, client=client)
        seconds = time.perf_counter() - start
        asked = httpx.get(f"{base_url}/__stats__").json()["requests"] - before
        client.close()
    assert sum(p.listed for p in plan if hasattr(p, "listed")) == PLANNED_JOBS
    rows.append(
        Row(
            f"ray: planning {PLANNED_JOBS:,} listed jobs (a minute apart) into {len(plan)} "
            "windows, 20 ms latency",
            f"{asked} listing requests, seconds vs reading them with the loader at the rate above "
            "(estimated)",
            [seconds],
            [PLANNED_JOBS * 4 / loader_rate],
            note="(planning is noise; one turn)",
        )
    )
    return rows


SECTIONS = (bulk, single, conversion, runs, memory, listing, ray_reads)


def main() -> int:
    only = set(sys.argv[1:])  # `python -m benchmarks.run ray_reads` measures that section alone
    started = time.perf_counter()
    rows, failed = [], []
    for measure in SECTIONS:
        if only and measure.__name__ not in only:
            continue
        print(f"measuring {measure.__name__} ...", file=sys.stderr, flush=True)
        try:
            measured = measure()
        except Exception as exc:  # said in the results, and in the exit code
            failed.append(f"Not measured: `{measure.__name__}` ({type(exc).__name__}: {exc}).")
            print(failed[-1], file=sys.stderr, flush=True)
            continue
        print(table(measured, measure.__name__), file=sys.stderr, flush=True)
        rows += measured
    minutes = (time.perf_counter() - started) / 60
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    heading = (
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores (load average "
        f"before the end {load}), in {minutes:.1f} minutes. Each cell is the median [range]: of "
        f"{ROUNDS} interleaved rounds after a warm-up turn for times (the garbage collector left "
        f"as it falls), of {MEMORY_ROUNDS} fresh processes for peak RSS; a ratio is taken within "
        "each round, first / second."
    )
    text = "\n".join([table(rows, heading), *failed])
    print(text)
    if not only:  # a section alone leaves the published results as they were
        RESULTS.write_text(text + "\n", encoding="utf-8")
        write_readme(text)
    return 1 if failed else 0


def write_readme(text: str) -> None:
    """Put the results between the README's markers, replacing the last run's."""
    readme = README.read_text(encoding="utf-8")
    head, rest = readme.split(BEGIN + "\n", 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
