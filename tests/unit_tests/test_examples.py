"""Every example runs offline (the recorded session and a scripted model) and does what it says."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage

from examples import (
    agent,
    approve_runs,
    evidence,
    quickstart,
    rag_ingest,
    ray_ingest,
    run_and_read,
    sync_agent,
    tables_agent,
)
from tests.support import example_jobs as jobs
from tests.support.local_ray import LocalRay


def test_quickstart(capsys: pytest.CaptureFixture[str]) -> None:
    quickstart.main()
    out = capsys.readouterr().out
    for agent_job_id in jobs.SUCCEEDED_JOBS:
        assert agent_job_id in out
    assert "Totals: 1 of 1 output shown" in out


def test_agent_reads_each_job_through_the_tool() -> None:
    messages = agent.main()
    assert [m.status for m in messages] == ["success"] * 3
    assert {m.artifact["agent_job_id"] for m in messages} == set(jobs.SUCCEEDED_JOBS[:3])


def test_rag_ingest_adds_nothing_the_second_time() -> None:
    first, second = rag_ingest.main()
    assert first["num_added"] == 5
    assert (second["num_added"], second["num_updated"], second["num_skipped"]) == (0, 0, 5)


def test_run_and_read_runs_an_agent_offline_and_reads_its_job(
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = run_and_read.main()
    out = capsys.readouterr().out
    assert message.status == "success"
    assert "roe_run_my_agent_123e4567" in out
    assert "arguments: ['text']" in out
    assert message.artifact["outputs"][0]["key"] == "output"
    assert "What it does: Current version of the agent." in out


def test_sync_agent_syncs_twice_and_searches(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = sync_agent.main()
    succeeded = [jobs.WEB, jobs.CACHED, jobs.DOCS, jobs.PDF, jobs.MULTIMODAL, jobs.AML]
    assert outcome["first"]["num_added"] == len(succeeded)  # one output each
    assert outcome["later"] == {
        "num_added": 0,
        "num_updated": 0,
        "num_skipped": 4,
        "num_deleted": 0,
    }
    assert [d.metadata["agent_job_id"] for d in outcome["found"]] == [jobs.MULTIMODAL]
    out = capsys.readouterr().out
    assert f"rank 1: job {jobs.AML}" in out


def test_evidence_reads_the_job_then_one_artifact_it_cites() -> None:
    read_job, read_evidence = evidence.main()
    assert read_job.status == "success"
    assert "cites: 2 artifacts" in read_job.content
    assert read_evidence.status == "success"
    assert read_evidence.artifact["kind"] == "artifact"
    assert len(read_evidence.artifact["result"]["cash_deposits"]) == 5


@pytest.mark.ray
@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.timeout(300)  # the session's Ray may start here
def test_ray_ingest_embeds_every_output_of_the_offline_jobs(
    ray_session: LocalRay, tmp_path: Path
) -> None:
    summary = ray_ingest.main(str(tmp_path / "chunks"))
    assert summary == {
        "chunks": ray_ingest.OFFLINE_JOBS * 4,  # each output fits one chunk
        "jobs": ray_ingest.OFFLINE_JOBS,
        "dimensions": ray_ingest.EMBEDDING_SIZE,
    }


def test_approve_runs_asks_before_the_recorded_run_and_refuses_the_second() -> None:
    asked, messages = approve_runs.main()  # no terminal: the run is approved, and said so
    assert [request["name"] for request in asked] == ["roe_run_my_agent_123e4567"]
    statuses = [m.status for m in messages if isinstance(m, ToolMessage)]
    assert statuses == ["success", "error"]


def test_tables_agent_answers_from_a_table_through_the_three_tools() -> None:
    messages = tables_agent.main()
    assert [m.name for m in messages] == [
        "roe_list_tables",
        "roe_describe_table",
        "roe_query_table",
    ]
    assert [m.status for m in messages] == ["success"] * 3
    query = messages[2]
    assert query.text.startswith("Query result: 4 rows (complete).")
    assert query.artifact["rows"][0] == {"country": "GB", "total": 310.25}
