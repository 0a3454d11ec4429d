"""Record every cassette in tests/cassettes (`make record`).

With `ROE_API_KEY` set, the scenarios run against the live API (`ROE_BASE_URL` and
`ROE_ORGANIZATION_ID` are honoured); `ROE_RECORD_IDS` must then name a JSON file that maps each role
(WEB, CACHED, FAILED, UNKNOWN, RUNNING, DOCS, PDF, MULTIMODAL, AML, WAITING) to one of your job ids.
Without a key they run against the in-memory API built from tests/fixtures/payloads. Either way the
requests go through the same client, the same VCR configuration and the same filters.

Usage: python -m scripts.record [SCENARIO ...]
"""

from __future__ import annotations

import json
import os
import sys

import httpx
import vcr

from langchain_roe import RoeClient
from tests.support.cassettes import CASSETTES, EXAMPLE_IDS, SCENARIOS, VCR_CONFIG
from tests.support.example_jobs import example_jobs
from tests.support.fake_api import FakeRoeAPI


def _live_ids() -> dict[str, str]:
    path = os.environ.get("ROE_RECORD_IDS")
    if not path:
        sys.exit("recording live needs ROE_RECORD_IDS: a JSON file mapping each role to a job id")
    with open(path, encoding="utf-8") as handle:
        ids: dict[str, str] = json.load(handle)
    missing = sorted(set(EXAMPLE_IDS) - set(ids))
    if missing:
        sys.exit(f"ROE_RECORD_IDS lacks the roles: {', '.join(missing)}")
    return ids


TABLE_HEADING = "## The files"


def write_catalogue() -> None:
    """Rewrite the table of cassettes at the end of tests/cassettes/README.md from the scenarios."""
    readme = CASSETTES / "README.md"
    text = readme.read_text(encoding="utf-8")
    head = text[: text.index(TABLE_HEADING)]
    rows = [f"| `{s.path.name}` | {s.summary} |" for s in SCENARIOS if s.folder == CASSETTES]
    table = "\n".join([TABLE_HEADING, "", "| cassette | what it holds |", "|---|---|", *rows])
    readme.write_text(head + table + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    live = bool(os.environ.get("ROE_API_KEY", "").strip())
    ids = _live_ids() if live else EXAMPLE_IDS
    recorder = vcr.VCR(record_mode="all", **VCR_CONFIG)
    chosen = [s for s in SCENARIOS if not argv or s.name in argv]
    for scenario in chosen:
        if live:
            client = RoeClient()
        else:
            transport = FakeRoeAPI(example_jobs()).transport()
            client = RoeClient(
                api_key="offline-recording",
                http_client=httpx.Client(transport=transport),
                async_http_client=httpx.AsyncClient(transport=transport),
            )
        scenario.path.unlink(missing_ok=True)  # a re-recording holds only what was asked now
        with recorder.use_cassette(str(scenario.path)):
            scenario.run(client, ids)
        client.close()
        print(f"recorded {scenario.path.name}: {scenario.summary}", file=sys.stderr)
    print(
        f"{len(chosen)} cassettes, {'live API' if live else 'documented payloads'}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
