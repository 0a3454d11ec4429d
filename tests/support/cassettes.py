"""How cassettes are recorded and replayed: one VCR configuration and the scenarios behind each file.

`make record` runs every scenario through `record()` below; the tests replay the files with the same
configuration (pytest-recording reads `VCR_CONFIG` through the `vcr_config` fixture) and no record
mode, so a missing or incomplete cassette fails instead of reaching out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcr

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeAgentJobResultTool,
    RoeClient,
    RoeError,
    RoeTablesToolkit,
    RoeToolkit,
    find_references,
)
from langchain_roe.replay import (
    DEMO_SESSION,
    RUN_SESSION_TEXT,
    SYNC_SESSION_SINCE,
    TABLES_SESSION_SQL,
)
from langchain_roe.retrievers import RoeJobResultRetriever
from langchain_roe.tools import RoeReadJobReferenceTool
from tests.support import example_jobs as jobs
from tests.support.fake_api import RUN_AGENT_ID
from tests.support.listing import LISTED_AGENT_ID

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"


def _drop_response_cookies(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() == "set-cookie":
            del headers[name]
    return response


VCR_CONFIG: dict[str, Any] = {
    "cassette_library_dir": str(CASSETTES),
    "filter_headers": ["authorization", "cookie", "user-agent"],
    "filter_query_parameters": ["organization_id"],
    "before_record_response": _drop_response_cookies,
    "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    "decode_compressed_response": True,
}

Ids = Mapping[str, str]


def replay(name: str) -> AbstractContextManager[Any]:
    """Replay one cassette, with the tests' configuration, where a marker cannot say which."""
    cassette: AbstractContextManager[Any] = vcr.VCR(record_mode="none", **VCR_CONFIG).use_cassette(
        name
    )
    return cassette


@dataclass(frozen=True)
class Scenario:
    """What one cassette holds: the calls a default client makes for `run`."""

    name: str
    summary: str
    run: Callable[[RoeClient, Ids], None]
    folder: Path = CASSETTES

    @property
    def path(self) -> Path:
        return self.folder / f"{self.name}.yaml"


Run = Callable[[RoeClient, Ids], None]


def _each(method: str, *roles: str) -> Run:
    """Call `client.<method>(id)` for each role's job; the errors a job is meant to raise are kept quiet."""

    def run(client: RoeClient, ids: Ids) -> None:
        for role in roles:
            with suppress(RoeError):
                getattr(client, method)(ids[role])

    return run


def _together(method: str, *roles: str) -> Run:
    """Call `client.<method>([ids...])` once for all the roles' jobs."""

    def run(client: RoeClient, ids: Ids) -> None:
        getattr(client, method)([ids[role] for role in roles])

    return run


def _load(*roles: str, **options: Any) -> Run:
    """Load the roles' jobs with `RoeAgentJobResultLoader(..., **options)` over the client."""

    def run(client: RoeClient, ids: Ids) -> None:
        loader = RoeAgentJobResultLoader([ids[role] for role in roles], client=client, **options)
        with suppress(RoeError):
            loader.load()

    return run


def _tool_calls(*roles: str) -> Run:
    """Call `RoeAgentJobResultTool` over the client for each role's job, as a model would."""

    def run(client: RoeClient, ids: Ids) -> None:
        tool = RoeAgentJobResultTool(client=client)
        for n, role in enumerate(roles):
            tool.invoke(
                {
                    "type": "tool_call",
                    "id": f"call-{n}",
                    "name": tool.name,
                    "args": {"agent_job_id": ids[role]},
                }
            )

    return run


def _demo(client: RoeClient, ids: Ids) -> None:
    """What the demo and the examples ask offline: the finished jobs through the loader, then a
    tool call for each of them and for a running and an unknown job, then every reference those
    jobs cite, read as the result tool's text tells a model to."""
    RoeAgentJobResultLoader([ids[role] for role in DEMO_ROLES], client=client).load()
    _tool_calls(*DEMO_ROLES, "RUNNING", "UNKNOWN")(client, ids)
    _read_every_cited(*DEMO_ROLES)(client, ids)


def _read_every_cited(*roles: str) -> Run:
    """Read every reference the roles' jobs cite with `RoeReadJobReferenceTool`, each by the
    value the output gives (what the result tool's text tells a model to pass)."""

    def run(client: RoeClient, ids: Ids) -> None:
        for role in roles:
            cited = find_references(client.get_result(ids[role]).outputs)
            calls = [(role, reference.value) for reference in cited]
            _read_cited(*calls)(client, ids)

    return run


#: The text the run example gives the spec's example agent (`examples/run_and_read.py` sends it).
RUN_EXAMPLE_TEXT = RUN_SESSION_TEXT


def _run_and_read(client: RoeClient, ids: Ids) -> None:
    """What `examples/run_and_read.py` asks offline: the agent's version, then one run of it by
    the toolkit's run tool, waited for (statuses PENDING, STARTED, SUCCESS) and read."""
    toolkit = RoeToolkit.from_agents([ids.get("RUN_AGENT", RUN_AGENT_ID)], client=client)
    run_tool = toolkit.get_tools()[0]
    call = {"text": RUN_EXAMPLE_TEXT}
    run_tool.invoke({"type": "tool_call", "id": "run-1", "name": run_tool.name, "args": call})


def _listed(**options: Any) -> Run:
    """Load the listed agent's jobs with `RoeAgentJobResultLoader.from_agent(..., **options)`."""

    def run(client: RoeClient, ids: Ids) -> None:
        agent_id = ids.get("LISTED_AGENT", LISTED_AGENT_ID)
        RoeAgentJobResultLoader.from_agent(agent_id, client=client, **options).load()

    return run


def _retrieve(query: str, *ks: int, **options: Any) -> Run:
    """Ask `RoeJobResultRetriever` over the listed agent for `query`, once per `k`."""

    def run(client: RoeClient, ids: Ids) -> None:
        agent_id = ids.get("LISTED_AGENT", LISTED_AGENT_ID)
        retriever = RoeJobResultRetriever(agent_id=agent_id, client=client, **options)
        for k in ks:
            retriever.invoke(query, k=k)

    return run


#: The queries the retriever cassettes and the sync session ask.
SEMANTIC_QUERY = "cash deposits and the data they output"
TEXT_QUERY = "Louis Vuitton"


def _sync(client: RoeClient, ids: Ids) -> None:
    """What `examples/sync_agent.py` asks offline: a first sync of the listed agent's jobs (pages
    of 4), a second one from `SYNC_SESSION_SINCE`, then a semantic and a text search."""
    _listed(page_size=4)(client, ids)
    _listed(page_size=4, created_from=SYNC_SESSION_SINCE)(client, ids)
    _retrieve(SEMANTIC_QUERY, 3)(client, ids)
    _retrieve(TEXT_QUERY, 2, search_type="text")(client, ids)


def _read_cited(*calls: tuple[str, str]) -> Run:
    """Call `RoeReadJobReferenceTool` for each (role, reference), as a model would."""

    def run(client: RoeClient, ids: Ids) -> None:
        tool = RoeReadJobReferenceTool(client=client)
        for n, (role, reference) in enumerate(calls):
            args = {"agent_job_id": ids[role], "reference": reference.replace("{id}", ids[role])}
            tool.invoke({"type": "tool_call", "id": f"cite-{n}", "name": tool.name, "args": args})

    return run


#: What the web-extraction example cites, and the AML example's artifacts ({id}: the job's id).
WEB_MARKDOWN = (
    "https://api.roe-ai.com/v1/agents/jobs/{id}/references/3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e.md/"
)
WEB_SCREENSHOT = "5d1e9a7c-2b4f-4c6e-8a0d-1f3b5c7e9a2d.png"
AML_EXTRACTION = "agent-job-{id}/extraction_123.json"
AML_MISSING = "agent-job-{id}/no_such_artifact.json"
FOREIGN = "https://files.example.com/v1/agents/jobs/{id}/references/3a5c7e9b.md/"


def _evidence(client: RoeClient, ids: Ids) -> None:
    """What `examples/evidence.py` asks offline: the AML job's outputs through the result tool,
    then one of the artifacts they cite through the reference tool."""
    _tool_calls("AML")(client, ids)
    _read_cited(("AML", AML_EXTRACTION))(client, ids)
    _read_every_cited("AML")(client, ids)  # whichever of them the model chooses


def _started(client: RoeClient, ids: Ids) -> str:
    """A job of the run agent started for the scenario: the only job a cancel scenario acts on."""
    return client.run_agent(ids.get("RUN_AGENT", RUN_AGENT_ID), {"text": RUN_EXAMPLE_TEXT})


def _cancel(client: RoeClient, ids: Ids) -> None:
    """Cancel a job this scenario started, twice (the repeat changes nothing), read its status;
    then try to cancel a finished job (refused, so its status is asked)."""
    started = _started(client, ids)
    client.cancel_job(started)
    client.cancel_job(started)
    client.get_status(started)
    with suppress(RoeError):
        client.cancel_job(ids["WEB"])


def _cancel_all(client: RoeClient, ids: Ids) -> None:
    """Cancel every running job of the run agent (the one this scenario started), then again."""
    _started(client, ids)
    client.cancel_agent_jobs(ids.get("RUN_AGENT", RUN_AGENT_ID))
    client.cancel_agent_jobs(ids.get("RUN_AGENT", RUN_AGENT_ID))


def _delete_data(client: RoeClient, ids: Ids) -> None:
    """Delete the data of a job this scenario started and cancelled, twice (nothing is left the
    second time); then of a job still pending (refused: not in a final state)."""
    started = _started(client, ids)
    client.cancel_job(started)
    client.delete_job_data(started)
    client.delete_job_data(started)
    with suppress(RoeError):
        client.delete_job_data(_started(client, ids))


def _tables(client: RoeClient, ids: Ids) -> None:
    """The table calls, each answer in the spec's shapes (SQLite standing in for ClickHouse)."""
    client.list_tables()
    client.describe_table("companies")
    client.preview_table("companies", limit=2)
    client.query_table("SELECT company, revenue FROM companies ORDER BY revenue DESC LIMIT 3")
    client.query_table("SELECT * FROM events", limit=1000)
    client.query_table("SELECT count(*) AS n FROM events /* slow */")
    for refused in ("SELECT revnue FROM companies", "DROP TABLE companies"):
        with suppress(RoeError):
            client.query_table(refused)
    with suppress(RoeError):
        client.describe_table("deals")
    client.delete_table("events")


def _table_tool_calls(client: RoeClient, ids: Ids) -> None:
    """The table tools as a model calls them: list, describe two tables, a failed then a fixed query."""
    list_tool, describe, query = RoeTablesToolkit(client=client).get_tools()
    calls = [
        (list_tool, {}),
        (describe, {"table_names": ["companies", "events"]}),
        (query, {"sql": "SELECT country, sum(revenu) FROM companies GROUP BY country"}),
        (query, {"sql": "SELECT country, sum(revenue) AS total FROM companies GROUP BY country"}),
    ]
    for n, (tool, args) in enumerate(calls):
        tool.invoke({"type": "tool_call", "id": f"call-{n}", "name": tool.name, "args": args})


def _tables_session(client: RoeClient, ids: Ids) -> None:
    """What `examples/tables_agent.py`'s agent asks: the tables, one schema, one query."""
    list_tool, describe, query = RoeTablesToolkit(client=client).get_tools()
    list_tool.invoke({})
    describe.invoke({"table_names": ["companies"]})
    query.invoke({"sql": TABLES_SESSION_SQL})


#: The example ids by role; a live recording maps the same roles to real jobs.
EXAMPLE_IDS: dict[str, str] = {
    "WEB": jobs.WEB,
    "CACHED": jobs.CACHED,
    "FAILED": jobs.FAILED,
    "UNKNOWN": jobs.UNKNOWN,
    "RUNNING": jobs.RUNNING,
    "DOCS": jobs.DOCS,
    "PDF": jobs.PDF,
    "MULTIMODAL": jobs.MULTIMODAL,
    "AML": jobs.AML,
    "WAITING": jobs.WAITING,
}

MIXED = ("WEB", "CACHED", "FAILED", "UNKNOWN", "RUNNING")
MANY = ("WEB", "DOCS", "PDF", "MULTIMODAL", "AML", "CACHED")
DEMO_ROLES = ("WEB", "DOCS", "PDF", "MULTIMODAL", "AML")

SCENARIOS: list[Scenario] = [
    Scenario(
        "client_result_success",
        "GET result of a finished web-extraction job",
        _each("get_result", "WEB"),
    ),
    Scenario(
        "client_result_unknown",
        "GET result of an unknown job: 404, then GET status: 404",
        _each("get_result", "UNKNOWN"),
    ),
    Scenario(
        "client_result_running",
        "GET result of a running job: 404, then GET status: STARTED",
        _each("get_result", "RUNNING"),
    ),
    Scenario(
        "client_result_failed",
        "GET result of a failed job: 500 four times (three retries), then GET status: FAILURE",
        _each("get_result", "FAILED"),
    ),
    Scenario(
        "client_status",
        "GET status of a finished and of a failed job",
        _each("get_status", "WEB", "FAILED"),
    ),
    Scenario(
        "client_results_batch",
        "POST results for a finished, a cached, a failed, an unknown and a running job",
        _together("get_results", *MIXED),
    ),
    Scenario(
        "client_statuses_batch",
        "POST statuses for the same five jobs",
        _together("get_statuses", *MIXED),
    ),
    Scenario(
        "loader_one_job",
        "loader, batch path: one finished job (POST results)",
        _load("WEB"),
    ),
    Scenario(
        "loader_many_jobs",
        "loader, batch path: six finished jobs in one POST results",
        _load(*MANY),
    ),
    Scenario(
        "loader_mixed_batch",
        "loader, batch path: finished, cached with corrections, failed, unknown "
        "(POST results, then POST statuses for the failed job's message)",
        _load("WEB", "CACHED", "FAILED", "UNKNOWN", continue_on_failure=True),
    ),
    Scenario(
        "loader_unfinished",
        "loader, batch path: a running job, not waited for (POST results)",
        _load("RUNNING"),
    ),
    Scenario(
        "loader_wait",
        "loader, batch path, waiting: POST results (PENDING), POST statuses until SUCCESS, "
        "POST results",
        _load("WAITING", wait_for_completion=True),
    ),
    Scenario(
        "loader_per_job",
        "loader, per-job path: GET result for each of six finished jobs",
        _load(*MANY, use_batch_endpoint=False),
    ),
    Scenario(
        "loader_per_job_mixed",
        "loader, per-job path: finished, failed, unknown and running jobs (GET result, GET status)",
        _load(
            "WEB",
            "FAILED",
            "UNKNOWN",
            "RUNNING",
            use_batch_endpoint=False,
            continue_on_failure=True,
        ),
    ),
    Scenario(
        "loader_per_job_wait",
        "loader, per-job path, waiting: GET result (404), GET status until SUCCESS, GET result",
        _load("WAITING", use_batch_endpoint=False, wait_for_completion=True),
    ),
    Scenario(
        "tool_agent_calls",
        "tool calls as an agent makes them: a finished, a running and an unknown job "
        "(GET result, GET status)",
        _tool_calls("WEB", "RUNNING", "UNKNOWN"),
    ),
    Scenario(
        "loader_from_agent",
        "loader over an agent's listed jobs: GET the listing 3 jobs a page (9 example jobs, 3 "
        "pages; the failed, running and pending ones skipped), POST results per page",
        _listed(page_size=3, batch_size=3),
    ),
    Scenario(
        "loader_from_agent_since",
        "loader over the agent's jobs created since a time, oldest first (one page, one POST "
        "results)",
        _listed(created_from=SYNC_SESSION_SINCE),
    ),
    Scenario(
        "retriever_semantic",
        "retriever, semantic search (semantic_string; the ranking is the fake API's stand-in, "
        "see above): k = 1, 3 and 4 (GET the listing with page_size=k, POST results)",
        _retrieve(SEMANTIC_QUERY, 1, 3, 4),
    ),
    Scenario(
        "retriever_text",
        "retriever, text search (search=...): k = 1, 2 and 4",
        _retrieve(TEXT_QUERY, 1, 2, 4, search_type="text"),
    ),
    Scenario(
        "client_cancel",
        "a job started, cancelled (POST cancel: 204), cancelled again (204) and its status read "
        "(CANCELLED); then a finished job's cancel, refused (400) and explained by its status",
        _cancel,
    ),
    Scenario(
        "client_cancel_all",
        "a job started, then POST cancel-all for its agent twice: 1 job targeted, then 0",
        _cancel_all,
    ),
    Scenario(
        "client_delete_data",
        "a job started and cancelled, POST delete-data twice (the counts, then zeros), then "
        "delete-data of a pending job (400: not in a final state)",
        _delete_data,
    ),
    Scenario(
        "client_tables",
        "Roe tables (built from the spec's shapes, see above): list, describe, preview 2 rows, a "
        "query (PENDING, SUCCESS), a truncated one, a slow one (PENDING, STARTED, RETRY, PENDING, "
        "SUCCESS), a failed one (FAILURE with its error), a refused one (400), a missing table "
        "(404) and a delete (204)",
        _tables,
    ),
    Scenario(
        "tool_table_calls",
        "the table tools as a model calls them: roe_list_tables, roe_describe_table on two "
        "tables, a query that fails (FAILURE) and its fixed version",
        _table_tool_calls,
    ),
    Scenario(
        "tables_session",
        "an agent answering from a Roe table, shipped in the package for examples/tables_agent.py "
        "(built from the spec's shapes): the tables listed, companies described, one query",
        _tables_session,
        folder=DEMO_SESSION.parent,
    ),
    Scenario(
        "sync_session",
        "an agent's jobs synced and searched, shipped in the package for examples/sync_agent.py: "
        "the listing read 4 a page with their results, again from a time, then a semantic and a "
        "text search",
        _sync,
        folder=DEMO_SESSION.parent,
    ),
    Scenario(
        "loader_references",
        "loader with load_references: the web-extraction and AML jobs (POST results), then the "
        "web job's markdown and HTML references (GET each; its screenshot is skipped unasked, "
        "no parser given). The files are constructed: see above",
        _load("WEB", "AML", load_references=True),
    ),
    Scenario(
        "tool_reference_calls",
        "the reference tool as a model calls it: the web job's markdown by URL and screenshot by "
        "resource id, an AML artifact, a missing artifact (404) and a URL on another host (no "
        "request)",
        _read_cited(
            ("WEB", WEB_MARKDOWN),
            ("WEB", WEB_SCREENSHOT),
            ("AML", AML_EXTRACTION),
            ("AML", AML_MISSING),
            ("WEB", FOREIGN),
        ),
    ),
    Scenario(
        "evidence_session",
        "evidence, shipped in the package for examples/evidence.py: the AML job read by the result "
        "tool (GET result), then the artifacts it cites (GET artifacts/result)",
        _evidence,
        folder=DEMO_SESSION.parent,
    ),
    Scenario(
        "session",
        "the demo's example session, shipped in the package: the five finished example jobs "
        "through the loader (POST results), then the tool on each of them and on a running and "
        "an unknown job (GET result, GET status), then every reference and artifact they cite, "
        "through the reference tool",
        _demo,
        folder=DEMO_SESSION.parent,
    ),
    Scenario(
        "run_session",
        "a run, shipped in the package for examples/run_and_read.py: the spec's example agent's "
        "current version, a run of it (POST run, built from the spec's examples), its status "
        "polled to SUCCESS and its result read",
        _run_and_read,
        folder=DEMO_SESSION.parent,
    ),
]
