"""The command line's `--agent`: an agent's listed jobs, filtered by `--since` and `--search`."""

from __future__ import annotations

import json

import pytest

from langchain_roe import _cli
from tests.support import example_jobs as jobs
from tests.support.fake_api import FakeRoeAPI
from tests.support.listing import LISTED_AGENT_ID
from tests.support.mock_api import mock_client
from tests.unit_tests.test_cli import run

SUCCEEDED = [jobs.WEB, jobs.CACHED, jobs.DOCS, jobs.PDF, jobs.MULTIMODAL, jobs.AML]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeRoeAPI:
    """The command line's client answers from the in-memory API, whose listing holds the examples."""
    fake = FakeRoeAPI(jobs.example_jobs())
    client = mock_client(fake.respond)
    monkeypatch.setattr(_cli, "build_client", lambda client_, **settings: client)
    return fake


def listed(stdout: str) -> list[str]:
    return list(
        dict.fromkeys(json.loads(line)["metadata"]["agent_job_id"] for line in stdout.splitlines())
    )


def test_agent_prints_its_succeeded_jobs_oldest_first(api: FakeRoeAPI) -> None:
    code, stdout, stderr = run(["--agent", LISTED_AGENT_ID, "--format", "jsonl"])
    assert code == 0, stderr
    assert listed(stdout) == SUCCEEDED
    first = json.loads(stdout.splitlines()[0])
    assert first["metadata"]["created_at"] == "2026-11-02T09:00:00+00:00"
    assert first["metadata"]["job_metadata_team"] == "ops"


def test_since_and_search_filter_the_listing(api: FakeRoeAPI) -> None:
    code, stdout, _ = run(
        ["--agent", LISTED_AGENT_ID, "--since", "2026-11-02T09:04:00Z", "--format", "jsonl"]
    )
    assert code == 0
    assert listed(stdout) == [jobs.DOCS, jobs.PDF, jobs.MULTIMODAL, jobs.AML]
    code, stdout, _ = run(["--agent", LISTED_AGENT_ID, "--search", "vuitton", "--format", "jsonl"])
    assert listed(stdout) == [jobs.MULTIMODAL]  # the running job says it too, but is not done


def test_text_format_names_each_job(api: FakeRoeAPI) -> None:
    code, stdout, _ = run(["--agent", LISTED_AGENT_ID, "--search", "cash deposits"])
    assert code == 0
    assert jobs.AML in stdout
    assert jobs.WEB not in stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2026-11-02T09:00:00Z"], "give --agent AGENT_ID"),
        (["--agent", LISTED_AGENT_ID, "--since", "2026-11-02T09:00:00"], "no time zone"),
        (["--agent", LISTED_AGENT_ID, "--since", "last week"], "ISO 8601"),
        (["--agent", "agent-7"], "agent_id must be a UUID"),
        (["--agent", LISTED_AGENT_ID, jobs.WEB], "give no job ids"),
        (["--agent", LISTED_AGENT_ID, "--search", ""], "search must be a non-empty string"),
    ],
)
def test_bad_arguments_are_usage_errors_before_any_request(
    api: FakeRoeAPI, argv: list[str], message: str
) -> None:
    code, _, stderr = run(argv)
    assert code == 2
    assert message in stderr
    assert api.requests == []


def test_an_unknown_agent_is_a_failure_named_on_stderr(api: FakeRoeAPI) -> None:
    code, stdout, stderr = run(["--agent", "00000000-0000-4000-8000-00000000abcd"])
    assert code == 1
    assert stdout == ""
    assert "listing the agent's jobs failed" in stderr
    assert "Traceback" not in stderr
