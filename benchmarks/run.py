"""`make bench`: langchain-roe against the floor (bare httpx) and the official SDK, side by side.

Every figure is measured in one run against the same loopback server (a separate process, so its
work does not share our interpreter), each side repeated in turn; the medians and their ratio are
printed, and the table is written to benchmarks/results.md. Absolute times on these machines are
noise; the ratios are the result.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

# Before anything imports Ray: `make bench` runs under `uv run`, whose Ray hook would start the
# workers through `uv run` (tests/conftest.py says what that did); no usage reporting either.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import httpx
import orjson
from langchain_core.documents import Document

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeAgentRunLoader,
    RoeClient,
)
from langchain_roe._convert._documents import DOCUMENT_ID_NAMESPACE, FinishedJob, job_documents
from langchain_roe._core._calls import chunked, match_by_id
from langchain_roe._core._wire_fast import decode_batch, read_item
from tests.support.agents import AGENT_ID
from tests.support.loopback import (
    LISTED_AGENT_ID,
    ServerConfig,
    job_ids,
    subprocess_server,
    synthetic_item,
)

KEY = "bench-key"


class Row(NamedTuple):
    """One line of the results table."""

    what: str
    comparison: str
    ours: float
    theirs: float
    goal: str


REPEATS = 5
JOB_SECONDS = 3.0
RESULTS = Path(__file__).with_name("results.md")


def timed(run: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def side_by_side(
    sides: dict[str, Callable[[], Any]], repeats: int = REPEATS, *, warm_up: bool = True
) -> dict[str, float]:
    """Median seconds of each side, the sides taking turns so drift hits them alike."""
    for run in sides.values() if warm_up else ():  # imports, connection set-up, caches
        run()
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, run in sides.items():
            times[name].append(timed(run))
    return {name: statistics.median(values) for name, values in times.items()}


# The floor: what a careful hand-written script does, with nothing extra.


def floor_documents(items: list[dict[str, Any]]) -> list[Document]:
    return [
        Document(page_content=o["value"], metadata={"agent_job_id": item["id"], "key": o["key"]})
        for item in items
        for o in item["result"]
    ]


NAMESPACE = uuid.UUID(DOCUMENT_ID_NAMESPACE)


def same_documents_by_hand(items: list[dict[str, Any]], base_url: str) -> list[Document]:
    """The floor doing our work: the same content, ids and metadata, written plainly with orjson."""
    documents = []
    for item in items:
        agent_job_id = item["id"]
        shared = {
            "source": f"{base_url}/v1/agents/jobs/{agent_job_id}/result/",
            "agent_job_id": agent_job_id,
            "agent_id": item["agent_id"],
            "agent_version_id": item["agent_version_id"],
            "input_tokens": item["input_tokens"],
            "output_tokens": item["output_tokens"],
            "status": "SUCCESS",
        }
        for index, output in enumerate(item["result"]):
            text = orjson.dumps(orjson.loads(output["value"]), option=orjson.OPT_INDENT_2).decode()
            metadata = {
                **shared,
                "key": output["key"],
                "data_type": output["data_type"],
                "description": output["description"],
                "cost": output["cost"],
                "output_index": index,
            }
            documents.append(
                Document(
                    id=str(uuid.uuid5(NAMESPACE, f"{agent_job_id}/{index}")),
                    page_content=text,
                    metadata=metadata,
                )
            )
    return documents


async def floor_bulk(
    base_url: str,
    ids: list[str],
    concurrency: int,
    convert: Callable[[list[dict[str, Any]]], list[Document]] = floor_documents,
    *,
    keep: bool = True,
) -> list[Document]:
    """The floor: chunks of 1000 ids, `concurrency` in flight, bare Documents; kept in one list, or
    (`keep=False`, the streaming floor) dropped chunk by chunk as a streaming consumer would."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:

        async def chunk(chunk_ids: list[str]) -> list[Document]:
            async with limit:
                response = await http.post(
                    "/v1/agents/jobs/results/",
                    json={"job_ids": chunk_ids},
                    headers={"Authorization": f"Bearer {KEY}"},
                )
            documents = convert(json.loads(response.content))
            return documents if keep else documents[:0]

        parts = await asyncio.gather(*(chunk(c) for c in chunked(ids)))
    return [document for part in parts for document in part]


async def ours_bulk(base_url: str, ids: list[str], concurrency: int) -> list[Document]:
    client = RoeClient(api_key=KEY, base_url=base_url)
    try:
        loader = RoeAgentJobResultLoader(ids, client=client, max_concurrency=concurrency)
        return await loader.aload()
    finally:
        await client.aclose()


def ours_streamed(base_url: str, ids: list[str], concurrency: int) -> int:
    """`lazy_load`, each Document dropped once seen, as a streaming consumer does."""
    with RoeClient(api_key=KEY, base_url=base_url) as client:
        loader = RoeAgentJobResultLoader(ids, client=client, max_concurrency=concurrency)
        return sum(1 for _ in loader.lazy_load())


def sdk_bulk(base_url: str, ids: list[str], chunk_delay: float | None = 0) -> list[Document]:
    """The official SDK's batch retrieval (a benchmark-only dependency), then bare Documents."""
    from roe import RoeClient as SdkClient

    sdk = SdkClient(
        api_key=KEY,
        organization_id="00000000-0000-4000-8000-000000000000",
        base_url=base_url,
        batch_chunk_delay=chunk_delay,  # None: the SDK's default, 10 s between chunks
    )
    items = sdk.agents.jobs.retrieve_result_many(ids)
    return [
        Document(page_content=o.value, metadata={"agent_job_id": str(item.id), "key": o.key})
        for item in items
        for o in item.result
    ]


def loader_and_floor(base_url: str, ids: list[str]) -> dict[str, Callable[[], Any]]:
    """The two sides of the bulk and conversion measurements, four requests in flight each."""
    return {
        "floor": lambda: asyncio.run(floor_bulk(base_url, ids, 4)),
        "langchain-roe": lambda: asyncio.run(ours_bulk(base_url, ids, 4)),
    }


def bulk() -> list[Row]:
    ids = job_ids(5000)
    with subprocess_server(ServerConfig(outputs=4, latency=0.020)) as base_url:
        sides = loader_and_floor(base_url, ids)
        by_hand = functools.partial(same_documents_by_hand, base_url=base_url)
        sample = ids[
            :50
        ]  # both sides must make the same Documents, or the comparison means nothing
        assert asyncio.run(ours_bulk(base_url, sample, 4)) == asyncio.run(
            floor_bulk(base_url, sample, 4, by_hand)
        )
        sides["same work by hand"] = lambda: asyncio.run(floor_bulk(base_url, ids, 4, by_hand))
        if importlib.util.find_spec("roe"):
            sides["roe-ai SDK"] = lambda: sdk_bulk(base_url, ids)
        medians = side_by_side(sides)
        if "roe-ai SDK" in sides:  # as users get it: 10 s between chunks; one turn is enough
            medians |= side_by_side(
                {"roe-ai SDK defaults": lambda: sdk_bulk(base_url, ids, None)}, 1, warm_up=False
            )
    rows = [
        Row(
            "bulk: 5,000 jobs x 4 outputs, 20 ms latency, `aload`",
            "langchain-roe vs floor",
            medians["langchain-roe"],
            medians["floor"],
            "<= 1.0",
        )
    ]
    rows.append(
        Row(
            "bulk: the same",
            "langchain-roe vs a hand-written script making the same Documents",
            medians["langchain-roe"],
            medians["same work by hand"],
            "(how much is the package)",
        )
    )
    if "roe-ai SDK" in medians:
        rows.append(
            Row(
                "bulk: the same",
                "langchain-roe vs roe-ai SDK at its fastest, `batch_chunk_delay=0`",
                medians["langchain-roe"],
                medians["roe-ai SDK"],
                "<= 0.5",
            )
        )
        rows.append(
            Row(
                "bulk: the same",
                "langchain-roe vs roe-ai SDK as configured by default",
                medians["langchain-roe"],
                medians["roe-ai SDK defaults"],
                "< 1",
            )
        )
    return rows


def single() -> list[Row]:
    ids = job_ids(200)
    with subprocess_server(ServerConfig(outputs=4, latency=0.005)) as base_url:
        tool = RoeAgentJobResultTool(client=RoeClient(api_key=KEY, base_url=base_url))
        http = httpx.Client(base_url=base_url, timeout=60)

        def tool_calls() -> None:
            for n, agent_job_id in enumerate(ids):
                tool.invoke(
                    {
                        "type": "tool_call",
                        "id": str(n),
                        "name": tool.name,
                        "args": {"agent_job_id": agent_job_id},
                    }
                )

        def bare() -> None:
            for agent_job_id in ids:
                response = http.get(
                    f"/v1/agents/jobs/{agent_job_id}/result/",
                    headers={"Authorization": f"Bearer {KEY}"},
                )
                json.loads(response.content)

        medians = side_by_side({"floor": bare, "tool": tool_calls})
    return [
        Row(
            "single: 200 sequential tool calls, 5 ms latency",
            "tool vs bare httpx GET + json.loads",
            medians["tool"],
            medians["floor"],
            "<= 1.1",
        )
    ]


def conversion() -> list[Row]:
    ids = job_ids(20_000)
    with subprocess_server(ServerConfig(outputs=4)) as base_url:
        medians = side_by_side(
            {
                "floor, kept": lambda: asyncio.run(floor_bulk(base_url, ids, 4)),
                "floor, streamed": lambda: asyncio.run(floor_bulk(base_url, ids, 4, keep=False)),
                "aload": lambda: asyncio.run(ours_bulk(base_url, ids, 4)),
                "lazy_load": lambda: ours_streamed(base_url, ids, 4),
            },
            repeats=5,
        )
    config = ServerConfig(outputs=4)
    body = json.dumps([synthetic_item(i, config) for i in job_ids(1000)]).encode()
    parsed = json.loads(body)

    def ours_convert() -> None:
        for item in match_by_id(job_ids(1000), decode_batch(body), read_item).values():
            assert not isinstance(item, Exception)
            job_documents(FinishedJob.from_item(item.id, item), source="https://api.roe-ai.com/")

    micro = side_by_side(
        {"floor": lambda: floor_documents(json.loads(body)), "ours": ours_convert}, repeats=9
    )
    assert parsed
    what = "conversion: 20,000 jobs x 4 outputs, no latency"
    return [
        Row(
            f"{what}, `lazy_load` (streamed)",
            "langchain-roe vs the floor, streamed",
            medians["lazy_load"],
            medians["floor, streamed"],
            "<= 1.1",
        ),
        Row(
            f"{what}, `aload` (kept)",
            "langchain-roe vs the floor, kept",
            medians["aload"],
            medians["floor, kept"],
            "<= 1.1",
        ),
        Row(
            "conversion only: a 1,000-job answer body to Documents",
            "ours (decode + Documents) vs `json.loads` + bare `Document(...)`",
            micro["ours"],
            micro["floor"],
            "(what the Documents cost)",
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
                organization_id="00000000-0000-4000-8000-000000000000",
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
            sides["SDK, 1 s polls"] = lambda: sdk(1.0)
            sides["SDK, 0.25 s polls"] = lambda: sdk(0.25)
            sides["SDK as it comes (5 s polls)"] = lambda: sdk(5.0)
        medians = side_by_side(sides, repeats=3, warm_up=False)
    what = f"runs: 500 inputs, jobs of {JOB_SECONDS:g} s, 20 ms latency, run + wait + read"
    rows = []
    for name, setting, goal in (
        ("SDK as it comes (5 s polls)", "as it comes (5 s polls)", "< 1"),
        ("SDK, 1 s polls", "1 s polls", "(its best at our first poll)"),
        ("SDK, 0.25 s polls", "0.25 s polls", "(its fastest, 4 polls a second)"),
    ):
        if name in medians:
            comparison = f"`RoeAgentRunLoader` vs roe-ai SDK `run_many` + `wait`, {setting}"
            rows.append(Row(what, comparison, medians["langchain-roe"], medians[name], goal))
    return rows


def memory() -> list[Row]:
    config = ServerConfig(outputs=4, value_bytes=2000)
    with subprocess_server(config) as base_url:
        client = RoeClient(api_key=KEY, base_url=base_url)

        def streamed(ids: list[str]) -> Callable[[], None]:
            def run() -> None:
                for _ in RoeAgentJobResultLoader(ids, client=client).lazy_load():
                    pass

            return run

        # The ids exist before the load (they are the caller's); a peak is the worst moment of a
        # run, so each is the median of three runs.
        ids_20k, ids_80k = job_ids(20_000), job_ids(80_000)
        lazy_20k = statistics.median(peak(streamed(ids_20k)) for _ in range(3))
        lazy_80k = statistics.median(peak(streamed(ids_80k)) for _ in range(3))
        whole = peak(lambda: RoeAgentJobResultLoader(ids_20k, client=client).load())
        client.close()
    return [
        Row(
            "memory: `lazy_load` peak MiB, 4 outputs of 2 kB a job",
            "80,000 jobs vs 20,000 jobs",
            lazy_80k,
            lazy_20k,
            "flat (about 1)",
        ),
        Row(
            "memory: 20,000 jobs x 4 outputs of 2 kB, peak MiB",
            "`lazy_load` vs `load()`",
            lazy_20k,
            whole,
            "<= 0.3",
        ),
    ]


LISTED_JOBS = 20_000
LISTING_PAGE = 500


def listed_documents_by_hand(
    base_url: str, concurrency: int, params: dict[str, str] | None = None, *, keep: bool = False
) -> list[Document] | int:
    """A hand-written list-then-batch script: list every page of the agent's jobs, then read their
    results 1000 ids a request with `concurrency` in flight, making our Documents (listing facts
    included) and dropping them as a streaming consumer would (`keep=False`)."""

    async def run() -> list[Document] | int:
        headers = {"Authorization": f"Bearer {KEY}"}
        listed: dict[str, dict[str, Any]] = {}
        async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as http:
            url: str | None = f"/v1/agents/{LISTED_AGENT_ID}/jobs/"
            query: dict[str, str] | None = {
                "ordering": "created_at,id",
                "page_size": str(LISTING_PAGE),
                **(params or {}),
            }
            while url is not None:
                page = (await http.get(url, params=query)).json()
                for job in page["results"]:
                    if job["status_code"] in (3, 6):
                        listed[job["id"]] = job
                url, query = page["next"], None
            limit = asyncio.Semaphore(concurrency)

            async def chunk(chunk_ids: list[str]) -> list[Document]:
                async with limit:
                    response = await http.post(
                        "/v1/agents/jobs/results/", json={"job_ids": chunk_ids}
                    )
                documents = same_documents_by_hand(orjson.loads(response.content), base_url)
                for document in documents:
                    job = listed[document.metadata["agent_job_id"]]
                    document.metadata["created_at"] = datetime.fromisoformat(
                        job["created_at"]
                    ).isoformat()
                    document.metadata["agent_version_name"] = job["agent_version_name"]
                    for key, value in job["metadata"].items():
                        document.metadata[f"job_metadata_{key}"] = value
                return documents if keep else documents[:0]

            parts = await asyncio.gather(*(chunk(c) for c in chunked(list(listed))))
        if keep:
            return [document for part in parts for document in part]
        return sum(len(part) for part in parts)

    return asyncio.run(run())


def listing() -> list[Row]:
    """`from_agent` over 20,000 listed jobs: time against list-then-batch by hand, peak memory
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

        medians = side_by_side(
            {
                "langchain-roe": lambda: asyncio.run(streamed()),
                "list-then-batch by hand": lambda: listed_documents_by_hand(base_url, 4),
            }
        )
        client.close()
    sizes = ServerConfig(listed_jobs=LISTED_JOBS, outputs=4, value_bytes=2000)
    with subprocess_server(sizes) as base_url:
        client = RoeClient(api_key=KEY, base_url=base_url)
        ids = job_ids(LISTED_JOBS)

        def drain(loader: RoeAgentJobResultLoader) -> Callable[[], None]:
            def run() -> None:
                for _ in loader.lazy_load():
                    pass

            return run

        listed = RoeAgentJobResultLoader.from_agent(
            LISTED_AGENT_ID, client=client, page_size=LISTING_PAGE
        )
        by_ids = RoeAgentJobResultLoader(ids, client=client)
        listed_peak = statistics.median(peak(drain(listed)) for _ in range(3))
        ids_peak = statistics.median(peak(drain(by_ids)) for _ in range(3))
        client.close()
    return [
        Row(
            "listing: `from_agent` over 20,000 jobs x 4 outputs, 500 a page, 5 ms latency, streamed",
            "langchain-roe (pages read as the load goes) vs a hand-written list-then-batch script "
            "making the same Documents",
            medians["langchain-roe"],
            medians["list-then-batch by hand"],
            "< 1",
        ),
        Row(
            "memory: `from_agent` `lazy_load` peak MiB, 20,000 jobs x 4 outputs of 2 kB",
            "listed by the loader vs the same jobs loaded by their ids",
            listed_peak,
            ids_peak,
            "flat (about 1)",
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
        medians = side_by_side(sides)
        client.close()
    rows = []
    for n in (1, 2, 4):
        ours, theirs = medians[f"{n} read tasks"], medians["loader"]
        rows.append(
            Row(
                f"ray: {RAY_JOBS:,} jobs x 4 outputs, 20 ms latency, {n} read task(s)",
                f"`read_roe_jobs` ({documents / ours:,.0f} Documents/s) vs the single-process "
                f"loader, `from_agent` ({documents / theirs:,.0f} Documents/s)",
                ours,
                theirs,
                "(one 2-core machine: CPU-bound)",
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
            seconds,
            PLANNED_JOBS * 4 / (documents / medians["loader"]),
            "(planning is noise)",
        )
    )
    return rows


def peak(run: Callable[[], Any]) -> float:
    """The peak of traced memory while `run` runs, in MiB."""
    gc.collect()
    tracemalloc.start()
    run()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def main() -> int:
    rows = []
    only = set(sys.argv[1:])  # `python -m benchmarks.run ray_reads` measures that section alone
    for measure in (bulk, single, conversion, runs, memory, listing, ray_reads):
        if only and measure.__name__ not in only:
            continue
        print(f"measuring {measure.__name__} ...", file=sys.stderr, flush=True)
        rows += measure()
    lines = [
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, Python {platform.python_version()},"
        f" {platform.machine()}, {os.cpu_count()} cores; medians of {REPEATS} turns each (the"
        " conversion-only row 9; memory peaks 3 for `lazy_load`, 1 for `load()`; the SDK's"
        " defaults 1).",
        "",
        "| measurement | comparison | ours | theirs | ratio | goal |",
        "|---|---|---|---|---|---|",
    ]
    for what, comparison, ours, theirs, goal in rows:
        unit = "MiB" if "MiB" in what else "s"
        lines.append(
            f"| {what} | {comparison} | {ours:.3f} {unit} | {theirs:.3f} {unit} | "
            f"**{ours / theirs:.2f}** | {goal} |"
        )
    table = "\n".join(lines)
    print(table)
    if not only:  # a section alone leaves the whole table as it was
        RESULTS.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
