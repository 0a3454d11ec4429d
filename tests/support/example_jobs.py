"""The example jobs every cassette is recorded from, built from `tests/fixtures/payloads`.

The payload files are copied from `shared/roe-api/payloads` with their provenance (PROVENANCE.md
beside them): the API reference's example is verbatim, the others are constructed to match the
documented schemas. Job ids not given by a payload are invented here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.fake_api import FakeJob
from tests.support.fake_api import payload as payload  # re-exported: tests read payloads here

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"

WEB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"  # SUCCESS: web extraction with references
CACHED = "1c8f4063-ad2b-4e9f-87a4-3b5d6f8e0a21"  # CACHED, with a reviewer's corrected outputs
FAILED = "2d9a5174-be3c-4fa0-98b5-4c6e7a9f1b32"  # FAILURE: "Failed to load URL"
UNKNOWN = "3eab6285-cf4d-4ab1-a9c6-5d7f8b0a2c43"  # no such job
RUNNING = "4fbc7396-d05e-4bc2-bad7-6e809c1b3d54"  # STARTED, stays so
DOCS = "5c0e8a2d-7f41-4b6e-9d3a-1e2f4a6b8c0d"  # SUCCESS: the API reference's example
PDF = "6d1f9b3e-8a52-4c7f-8e4b-2f3a5b7c9d1e"  # SUCCESS: PDF resume parser
MULTIMODAL = "7e2a0c4f-9b63-4d8a-9f5c-3a4b6c8d0e2f"  # SUCCESS: counterfeit check
AML = (
    "7d9f1b3d-5f7a-4c9e-8b1d-3f5a7c9e1b3d"  # SUCCESS: AML investigation (id from its artifact keys)
)
WAITING = "8f3b1d5a-0c74-4e9b-a06d-4b5c7d9e1f3a"  # PENDING, then STARTED, then SUCCESS

SUCCEEDED_JOBS = (WEB, DOCS, PDF, MULTIMODAL, AML)


def _from_result(agent_job_id: str, name: str, status: int = 3) -> dict[str, Any]:
    result = payload(name)
    costs = [output["cost"] for output in result["outputs"] if "cost" in output]
    return {
        "id": agent_job_id,
        "status": status,
        "result": result["outputs"],
        "corrected_outputs": None,
        "agent_id": result["agent_id"],
        "agent_version_id": result["agent_version_id"],
        "cost": costs[0] if costs else None,
        "inputs": result["inputs"],
        "input_tokens": result["input_tokens"],
        "output_tokens": result["output_tokens"],
    }


def example_jobs() -> list[FakeJob]:
    """A fresh set of the example jobs (status sequences are consumed as they are asked)."""
    batch = {item["id"]: item for item in payload("batch_results_mixed")}
    statuses = {item["id"]: item for item in payload("statuses_batch")}
    # The batch payload's entry for WEB abbreviates the output; the job keeps the full result.
    web = {**batch[WEB], **_from_result(WEB, "result_web_insights_references")}
    running = {**_from_result(RUNNING, "result_multimodal_counterfeit"), "status": 1}
    running.update(result=None, agent_id=None, agent_version_id=None, cost=None)
    return [
        FakeJob(web),
        FakeJob(batch[CACHED]),
        FakeJob(batch[FAILED], error_message=statuses[FAILED]["error_message"]),
        FakeJob(running),
        FakeJob(_from_result(DOCS, "result_docs_example")),
        FakeJob(_from_result(PDF, "result_document_insights_pdf")),
        FakeJob(_from_result(MULTIMODAL, "result_multimodal_counterfeit")),
        FakeJob(_from_result(AML, "result_aml_investigation_artifacts")),
        FakeJob(_from_result(WAITING, "result_document_insights_pdf"), pending_statuses=[0, 1]),
    ]
