"""A mutation audit of the options each surface passes along: does a test fail for each bug?

Each mutation is one realistic single bug (an option dropped where it is passed along, an
off-by-one on a limit, a header dropped, a filter parameter renamed), written as a file of the
package, the exact text it replaces (found exactly once) and the text it puts there. For each,
the script copies the tree to a temporary directory, applies the mutation to the copy, and runs
the tests of that mutation's surface there (`pytest -x -q`, in a subprocess whose working
directory and `PYTHONPATH` are the copy, so the copy's package is the one imported); the real
tree is never touched. A mutation is *caught* when that run fails, *survived* when it passes.

`MUTATIONS` are the bugs the options-on-the-wire tests were written against; `HELD_OUT` were
written after those tests and given none of their own (a check that the tests catch more than the
bugs they were aimed at). Both run unless `--only` picks some.

Slow (a few minutes per surface, tens of minutes in all), so `make test` does not run it:

    .venv/bin/python -m scripts.mutation_audit                 # the working tree's tests
    .venv/bin/python -m scripts.mutation_audit --rev 1578a2b   # the tests (and package) at a commit
    .venv/bin/python -m scripts.mutation_audit --only table    # mutations whose name has "table"
    .venv/bin/python -m scripts.mutation_audit --list          # the mutations, without running
    .venv/bin/python -m scripts.mutation_audit --jobs 2        # two copies, two runs at a time

With `--rev`, the copy is `git archive <rev>`: a test file the commit does not have is left out
of that surface's run. Before the mutations, each surface's tests are run once unmutated
(`--no-baseline` skips it): a surface whose tests fail unmutated would count every mutation as
caught, so its mutations are reported as errors instead.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"

#: The tests of each surface: the files that exercise it (a file missing from a tree is skipped).
SURFACES: dict[str, tuple[str, ...]] = {
    "result_tool": (
        "tests/unit_tests/test_options_on_the_wire_tools.py",
        "tests/unit_tests/test_tools.py",
        "tests/integration_tests/test_tool_cassettes.py",
    ),
    "reference_tool": (
        "tests/unit_tests/test_options_on_the_wire_tools.py",
        "tests/unit_tests/test_reference_tool.py",
        "tests/integration_tests/test_reference_cassettes.py",
    ),
    "cancel_tool": (
        "tests/unit_tests/test_options_on_the_wire_tools.py",
        "tests/unit_tests/test_cancel_tool.py",
    ),
    "toolkit": (
        "tests/unit_tests/test_options_on_the_wire_tools.py",
        "tests/unit_tests/test_run_tool.py",
        "tests/unit_tests/test_cancel_tool.py",
    ),
    "table_tools": (
        "tests/unit_tests/test_options_on_the_wire_tables.py",
        "tests/unit_tests/test_table_tools.py",
        "tests/unit_tests/test_tables_loopback.py",
        "tests/integration_tests/test_table_cassettes.py",
    ),
    "table_loader": (
        "tests/unit_tests/test_options_on_the_wire_tables.py",
        "tests/unit_tests/test_table_loader.py",
        "tests/unit_tests/test_tables_loopback.py",
    ),
    "result_loader": (
        "tests/unit_tests/test_options_on_the_wire_loaders.py",
        "tests/unit_tests/test_document_loaders.py",
        "tests/unit_tests/test_from_agent.py",
        "tests/unit_tests/test_reference_loader.py",
        "tests/integration_tests/test_loader_cassettes.py",
    ),
    "client": (
        "tests/unit_tests/test_options_on_the_wire_client.py",
        "tests/unit_tests/test_client.py",
        "tests/unit_tests/test_http.py",
        "tests/unit_tests/test_config.py",
        "tests/unit_tests/test_settings_checks.py",
        "tests/unit_tests/test_references.py",
        "tests/integration_tests/test_client_cassettes.py",
    ),
    "ray": (
        "tests/unit_tests/test_options_on_the_wire_ray.py",
        "tests/unit_tests/test_ray_partitions.py",
    ),
}


@dataclass(frozen=True)
class Mutation:
    """One bug: in `path`, `original` (found exactly once) becomes `mutated`."""

    name: str
    surface: str
    path: str
    original: str
    mutated: str


_T = "langchain_roe/_tools/"
_L = "langchain_roe/_loaders/"
_D = "langchain_roe/document_loaders.py"
_C = "langchain_roe/_core/"
_R = "langchain_roe/ray/_partitions.py"

MUTATIONS: tuple[Mutation, ...] = (
    # The result tool.
    Mutation(
        "result tool drops output_keys",
        "result_tool",
        _T + "_result.py",
        "result_text(job, output_keys=keys, max_chars",
        "result_text(job, output_keys=None, max_chars",
    ),
    Mutation(
        "result tool ignores max_output_chars",
        "result_tool",
        _T + "_result.py",
        "max_chars=self.max_output_chars)",
        "max_chars=20_000)",
    ),
    Mutation(
        "result tool sends the id as given, not canonical",
        "result_tool",
        _T + "_result.py",
        "result = yield from result_flow(job_id)",
        "result = yield from result_flow(agent_job_id.strip())",
    ),
    # The reference tool.
    Mutation(
        "reference tool: an image of exactly max_image_bytes is not shown",
        "reference_tool",
        _T + "_reference.py",
        "and size <= self.max_image_bytes",
        "and size < self.max_image_bytes",
    ),
    Mutation(
        "reference tool shows images without image_blocks",
        "reference_tool",
        _T + "_reference.py",
        "            self.image_blocks\n            and media_type",
        "            True\n            and media_type",
    ),
    Mutation(
        "reference tool probes without Range (reads the whole file)",
        "reference_tool",
        _T + "_reference.py",
        "reference, settings, probe=True)",
        "reference, settings, probe=False)",
    ),
    Mutation(
        "reference tool ignores max_output_chars for text references",
        "reference_tool",
        _T + "_reference.py",
        "reference_text(agent_job_id, blob, max_chars=self.max_output_chars)",
        "reference_text(agent_job_id, blob, max_chars=20_000)",
    ),
    # The cancel tool.
    Mutation(
        "cancel tool sends the id as given, not canonical",
        "cancel_tool",
        _T + "_cancel.py",
        "yield from cancel_flow(job_id)",
        "yield from cancel_flow(agent_job_id.strip())",
    ),
    # RoeToolkit.
    Mutation(
        "toolkit drops max_output_chars for the result and reference tools",
        "toolkit",
        "langchain_roe/toolkits.py",
        'given = {"max_output_chars": budget} if budget else {}',
        "given: dict[str, Any] = {}",
    ),
    Mutation(
        "afrom_agents drops include_cancel",
        "toolkit",
        "langchain_roe/toolkits.py",
        "await RoeRunAgentTool.afrom_agent(i, client=client, **options) for i in _ids(agent_ids)\n"
        "        ]\n"
        "        return cls(tools=[*runs, *_other_tools(client, options, include_cancel=include_cancel)])",
        "await RoeRunAgentTool.afrom_agent(i, client=client, **options) for i in _ids(agent_ids)\n"
        "        ]\n"
        "        return cls(tools=[*runs, *_other_tools(client, options, include_cancel=False)])",
    ),
    Mutation(
        "afrom_agents drops the run tools' options",
        "toolkit",
        "langchain_roe/toolkits.py",
        "await RoeRunAgentTool.afrom_agent(i, client=client, **options)",
        "await RoeRunAgentTool.afrom_agent(i, client=client)",
    ),
    # The table tools.
    Mutation(
        "query tool drops the model's limit",
        "table_tools",
        _T + "_tables.py",
        "query_flow(query_call(sql, limit), self.wait_timeout)",
        "query_flow(query_call(sql, DEFAULT_QUERY_ROWS), self.wait_timeout)",
    ),
    Mutation(
        "query tool drops wait_timeout",
        "table_tools",
        _T + "_tables.py",
        "query_flow(query_call(sql, limit), self.wait_timeout)",
        "query_flow(query_call(sql, limit))",
    ),
    Mutation(
        "describe tool drops sample_rows",
        "table_tools",
        _T + "_tables.py",
        "overview_flow(_names(table_names), self.sample_rows)",
        "overview_flow(_names(table_names))",
    ),
    Mutation(
        "tables toolkit drops sample_rows",
        "table_tools",
        _T + "_tables.py",
        "RoeDescribeTableTool(**budget, sample_rows=self.sample_rows)",
        "RoeDescribeTableTool(**budget)",
    ),
    Mutation(
        "tables toolkit drops wait_timeout",
        "table_tools",
        _T + "_tables.py",
        "RoeQueryTableTool(**budget, wait_timeout=self.wait_timeout)",
        "RoeQueryTableTool(**budget)",
    ),
    # The table loader.
    Mutation(
        "table loader (sync) drops limit",
        "table_loader",
        _L + "_tables.py",
        "self.client.query_table(self.sql, limit=self.limit, wait_timeout=self.wait_timeout)",
        "self.client.query_table(self.sql, wait_timeout=self.wait_timeout)",
    ),
    Mutation(
        "table loader (async) drops wait_timeout",
        "table_loader",
        _L + "_tables.py",
        "self.sql, limit=self.limit, wait_timeout=self.wait_timeout\n        )",
        "self.sql, limit=self.limit\n        )",
    ),
    Mutation(
        "table loader drops id_column",
        "table_loader",
        _L + "_tables.py",
        "row_layout(page_content_columns, metadata_columns, id_column)",
        "row_layout(page_content_columns, metadata_columns, None)",
    ),
    Mutation(
        "table loader takes a result that does not say it is complete",
        "table_loader",
        _L + "_tables.py",
        "if not result.complete and not self.allow_truncated:",
        "if result.truncated and not self.allow_truncated:",
    ),
    # The result loader.
    Mutation(
        "result loader ignores batch_size",
        "result_loader",
        _D,
        "for chunk in chunked(self.agent_job_ids, self.batch_size):",
        "for chunk in chunked(self.agent_job_ids, MAX_IDS_PER_REQUEST):",
    ),
    Mutation(
        "from_agent ignores use_batch_endpoint",
        "result_loader",
        _D,
        "self.listing, self.batch_size, self.options, batch=self.use_batch_endpoint",
        "self.listing, self.batch_size, self.options",
    ),
    Mutation(
        "from_agent drops version_name",
        "result_loader",
        _D,
        "            version_name=version_name,\n            metadata=metadata,",
        "            version_name=None,\n            metadata=metadata,",
    ),
    Mutation(
        "from_agent drops search",
        "result_loader",
        _D,
        "            search=search,\n            status=status,",
        "            search=None,\n            status=status,",
    ),
    Mutation(
        "from_agent drops created_to",
        "result_loader",
        _D,
        "            created_to=created_to,\n            version_name=version_name,",
        "            created_to=None,\n            version_name=version_name,",
    ),
    Mutation(
        "from_agent ignores page_size",
        "result_loader",
        _D,
        "            page_size=page_size,\n        )",
        "            page_size=DEFAULT_JOBS_PAGE_SIZE,\n        )",
    ),
    Mutation(
        "from_agent ignores only_succeeded=False",
        "result_loader",
        _L + "_finding.py",
        "if listing.only_succeeded and (status is None or not status.succeeded):",
        "if status is None or not status.succeeded:",
    ),
    Mutation(
        "result loader drops prefer_corrected_outputs",
        "result_loader",
        _D,
        "prefer_corrected_outputs=prefer_corrected_outputs,\n        )",
        "prefer_corrected_outputs=False,\n        )",
    ),
    Mutation(
        "result loader ignores wait_timeout",
        "result_loader",
        _D,
        "wait_timeout=float(wait_timeout),",
        "wait_timeout=DEFAULT_WAIT_TIMEOUT,",
    ),
    Mutation(
        "listing filter status sent under the wrong name",
        "result_loader",
        _C + "_listing.py",
        'params["status_code"] = str(_status(status))',
        'params["status"] = str(_status(status))',
    ),
    # RoeClient's settings, on every request.
    Mutation(
        "User-Agent header dropped",
        "client",
        _C + "_http.py",
        "        USER_AGENT_HEADER: USER_AGENT,\n",
        "",
    ),
    Mutation(
        "reference downloads ask for JSON only",
        "client",
        _C + "_http.py",
        "ACCEPT_HEADER: ANY_MEDIA_TYPE if call.binary else JSON_MEDIA_TYPE,",
        "ACCEPT_HEADER: JSON_MEDIA_TYPE,",
    ),
    Mutation(
        "organization_id not sent on a pagination link",
        "client",
        _C + "_http.py",
        "    if settings.organization_id:\n        params[ORGANIZATION_ID_PARAM]",
        "    if settings.organization_id and not call.url:\n        params[ORGANIZATION_ID_PARAM]",
    ),
    Mutation(
        "max_retries ignored",
        "client",
        _C + "_client.py",
        "        self._retry = RetryPolicy(self.settings.max_retries)\n        self._pools",
        "        self._retry = RetryPolicy(3)\n        self._pools",
    ),
    Mutation(
        "max_reference_bytes ignored (references capped as JSON answers)",
        "client",
        _C + "_http.py",
        "return settings.max_reference_bytes, (",
        "return settings.max_response_bytes, (",
    ),
    Mutation(
        "the pydantic surfaces drop organization_id",
        "client",
        _C + "_surfaces.py",
        "settings = {name: values.get(name) for name in SETTING_ENV_VARS}",
        'settings = {n: values.get(n) for n in SETTING_ENV_VARS if n != "organization_id"}',
    ),
    # The Ray reader's options, where plan_partitions and load_partition consume them.
    Mutation(
        "load_partition reads windows with the default page size",
        "ray",
        _R,
        "            page_size=MAX_JOBS_PAGE_SIZE,\n",
        "",
    ),
    Mutation(
        "load_partition drops the window's filters",
        "ray",
        _R,
        "            client=client,\n            **finding.filters(),\n",
        "            client=client,\n",
    ),
    Mutation(
        "plan_partitions ignores max_partition_jobs for ids",
        "ray",
        _R,
        "most = min(max_partition_jobs or MAX_PARTITION_IDS, MAX_PARTITION_IDS)",
        "most = MAX_PARTITION_IDS",
    ),
    Mutation(
        "the window's filters drop search",
        "ray",
        _R,
        '            "search": self.search,\n',
        "",
    ),
    Mutation(
        "plan_partitions' bounds ignore the filters",
        "ray",
        _R,
        "            page_size=1,\n            **self.finding.filters(),\n",
        "            page_size=1,\n",
    ),
)

#: Written after the tests above, and given no test of their own: a check that the tests catch
#: more than the bugs they were written against (`--only "held out"` runs these alone).
HELD_OUT: tuple[Mutation, ...] = tuple(
    Mutation(f"(held out) {name}", surface, path, original, mutated)
    for name, surface, path, original, mutated in (
        (
            "reference tool drops the max_image_bytes note after a full read",
            "reference_tool",
            _T + "_reference.py",
            "if self.image_blocks and blob.mimetype in IMAGE_BLOCK_TYPES:",
            "if False:",
        ),
        (
            "reference tool takes max_image_bytes=0",
            "reference_tool",
            _T + "_reference.py",
            "max_image_bytes: Annotated[int, Whole(1)]",
            "max_image_bytes: Annotated[int, Whole(0)]",
        ),
        (
            "describe tool refuses sample_rows=0",
            "table_tools",
            _T + "_tables.py",
            "SampleRows = Annotated[int, Whole(0, MAX_PREVIEW_ROWS)]",
            "SampleRows = Annotated[int, Whole(1, MAX_PREVIEW_ROWS)]",
        ),
        (
            "tables toolkit drops max_output_chars",
            "table_tools",
            _T + "_tables.py",
            'budget = {"client": self.client, "max_output_chars": self.max_output_chars}',
            'budget = {"client": self.client}',
        ),
        (
            "table loader drops metadata_columns",
            "table_loader",
            _L + "_tables.py",
            "row_layout(page_content_columns, metadata_columns, id_column)",
            "row_layout(page_content_columns, (), id_column)",
        ),
        (
            "result loader refuses batch_size=1000",
            "result_loader",
            _D,
            'check_whole("batch_size", batch_size, 1, MAX_IDS_PER_REQUEST)',
            'check_whole("batch_size", batch_size, 1, MAX_IDS_PER_REQUEST - 1)',
        ),
        (
            "result loader ignores use_batch_endpoint",
            "result_loader",
            _D,
            "self.use_batch_endpoint = use_batch_endpoint",
            "self.use_batch_endpoint = True",
        ),
        (
            "from_agent drops created_from",
            "result_loader",
            _D,
            "            created_from=created_from,\n",
            "            created_from=None,\n",
        ),
        (
            "from_agent drops metadata",
            "result_loader",
            _D,
            "            metadata=metadata,\n            search=search,",
            "            metadata=None,\n            search=search,",
        ),
        (
            "from_agent drops status",
            "result_loader",
            _D,
            "            status=status,\n            ordering",
            "            status=None,\n            ordering",
        ),
        (
            "Accept-Encoding header dropped",
            "client",
            _C + "_http.py",
            "        ACCEPT_ENCODING_HEADER: ACCEPT_ENCODING,\n",
            "",
        ),
        (
            "organization_id sent as given, not canonical",
            "client",
            _C + "_config.py",
            "return str(uuid.UUID(value))",
            "return str(uuid.UUID(value)) and value",
        ),
        (
            "base_url keeps its trailing slash",
            "client",
            _C + "_config.py",
            'value = value.strip().rstrip("/")',
            "value = value.strip()",
        ),
        (
            "load_partition ignores the window's only_succeeded",
            "ray",
            _R,
            "only_succeeded=finding.only_succeeded,",
            "only_succeeded=True,",
        ),
        (
            "the window's filters drop version_name",
            "ray",
            _R,
            '            "version_name": self.version_name,\n',
            "",
        ),
        (
            "read_roe_jobs drops concurrency",
            "ray",
            "langchain_roe/ray/_datasource.py",
            'ray_args["concurrency"] = concurrency',
            "pass",
        ),
    )
)


def copy_tree(into: Path, rev: str | None) -> None:
    """The repository's files (tracked and new, not ignored) or those of `rev`, into `into`."""
    if rev is not None:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
        return
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_tests(tree: Path, tests: list[str], timeout: float) -> tuple[int, str]:
    """`pytest -x -q` over `tests` in `tree`, its package first on the path: (exit code, tail)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(PYTHON), "-m", "pytest", "-x", "-q", "-m", "not ray", *tests]
    try:
        done = subprocess.run(
            command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return -1, "timed out"
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    return done.returncode, tail[0]


def check_imports_from(tree: Path) -> None:
    """Fail unless the subprocesses import the copy's package (not the real tree's)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    found = subprocess.run(
        [str(PYTHON), "-c", "import langchain_roe; print(langchain_roe.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"the copy's package is not the one imported: {found}")


def mutate(tree: Path, mutation: Mutation) -> str:
    """Apply `mutation` in `tree`; the file's text before it, to put back."""
    path = tree / mutation.path
    text = path.read_text(encoding="utf-8")
    if text.count(mutation.original) != 1:
        raise ValueError(
            f"{mutation.name}: the original text occurs {text.count(mutation.original)} times "
            f"in {mutation.path}"
        )
    path.write_text(text.replace(mutation.original, mutation.mutated), encoding="utf-8")
    return text


def judge(tree: Path, mutation: Mutation, tests: list[str], timeout: float) -> tuple[str, str]:
    """Run `mutation` in `tree` (then undo it): its verdict (caught, survived, error) and why."""
    try:
        before = mutate(tree, mutation)
    except ValueError as error:
        return "error", str(error)
    try:
        code, tail = run_tests(tree, tests, timeout)
    finally:
        (tree / mutation.path).write_text(before, encoding="utf-8")
    if code == 0:
        return "survived", tail
    if code in (1, 2, -1):  # tests failed, collection failed (an import broke), or it hung
        return "caught", tail
    return "error", f"pytest exit {code}: {tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="copy the tree at this commit instead of the working tree")
    parser.add_argument("--only", default="", help="run only mutations whose name holds this")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated runs")
    parser.add_argument("--jobs", type=int, default=1, help="copies, and pytest runs at a time")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per pytest run")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS + HELD_OUT if args.only.lower() in m.name.lower()]
    if args.list:
        for mutation in chosen:
            print(f"{mutation.surface:15} {mutation.name}")
        return
    verdicts: dict[str, list[tuple[Mutation, str]]] = {"caught": [], "survived": [], "error": []}
    with ExitStack() as stack:
        trees: queue.Queue[Path] = queue.Queue()
        for _ in range(max(args.jobs, 1)):
            tree = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="roe-mutation-")))
            copy_tree(tree, args.rev)
            check_imports_from(tree)
            trees.put(tree)
        first = trees.queue[0]
        tests_of = {
            surface: [name for name in files if (first / name).is_file()]
            for surface, files in SURFACES.items()
        }
        broken: dict[str, str] = {}
        if not args.no_baseline:
            for surface in sorted({m.surface for m in chosen}):
                code, tail = run_tests(first, tests_of[surface], args.timeout)
                if code != 0:
                    broken[surface] = tail
                print(f"baseline {surface}: {'ok' if code == 0 else 'FAILS: ' + tail}", flush=True)

        def one(mutation: Mutation) -> None:
            if mutation.surface in broken:
                why = f"its surface fails unmutated: {broken[mutation.surface]}"
                verdicts["error"].append((mutation, why))
                return
            tree = trees.get()
            start = time.monotonic()
            try:
                verdict, why = judge(tree, mutation, tests_of[mutation.surface], args.timeout)
            finally:
                trees.put(tree)
            verdicts[verdict].append((mutation, why))
            took = time.monotonic() - start
            print(f"{verdict:8} [{mutation.surface}] {mutation.name} ({took:.0f} s)", flush=True)

        with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
            list(pool.map(one, chosen))
    caught, survived = verdicts["caught"], verdicts["survived"]
    judged = len(caught) + len(survived)
    rate = 100 * len(caught) / judged if judged else 0.0
    print(f"\n{len(caught)} of {judged} mutations caught ({rate:.0f}%), {len(survived)} survived")
    for mutation, _ in sorted(survived, key=lambda pair: (MUTATIONS + HELD_OUT).index(pair[0])):
        print(f"  survived: [{mutation.surface}] {mutation.name}")
    for mutation, why in verdicts["error"]:
        print(f"  error:    [{mutation.surface}] {mutation.name}: {why}")
    sys.exit(1 if verdicts["error"] else 0)


if __name__ == "__main__":
    main()
