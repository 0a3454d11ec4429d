"""The wire models accept what the spec allows, and what a newer server adds."""

from __future__ import annotations

from pydantic import TypeAdapter

from langchain_roe import (
    AgentDatum,
    AgentJobResult,
    AgentJobResultItem,
    AgentJobStatus,
    AgentJobStatusCode,
    AgentJobStatusItem,
)
from tests.support.example_jobs import payload


def test_every_result_payload_parses() -> None:
    for name in (
        "result_docs_example",
        "result_web_insights_references",
        "result_document_insights_pdf",
        "result_multimodal_counterfeit",
        "result_aml_investigation_artifacts",
    ):
        result = AgentJobResult.model_validate(payload(name))
        assert result.outputs
        assert all(isinstance(output.value, str) for output in result.outputs)


def test_the_mixed_batch_parses_with_its_nulls() -> None:
    items = TypeAdapter(list[AgentJobResultItem]).validate_python(payload("batch_results_mixed"))
    assert [item.status for item in items] == [3, 6, 4, None]
    assert items[1].corrected_outputs is not None
    assert items[1].corrected_outputs[0].description == "Output JSON data"
    assert items[2].result is None
    assert items[2].agent_id is None
    assert items[3].inputs is None


def test_statuses_parse() -> None:
    assert AgentJobStatus.model_validate(payload("status_single_failure")).error_message == "boom"
    assert AgentJobStatus.model_validate(payload("status_single_success")).error_message is None
    items = TypeAdapter(list[AgentJobStatusItem]).validate_python(payload("statuses_batch"))
    assert [i.status for i in items] == [
        AgentJobStatusCode.SUCCESS,
        AgentJobStatusCode.STARTED,
        AgentJobStatusCode.FAILURE,
    ]
    assert items[2].error_message == "Failed to load URL"


def test_optional_datum_fields_and_added_fields() -> None:
    bare = AgentDatum.model_validate({"key": "k", "data_type": "text/plain", "value": "v"})
    assert (bare.description, bare.cost) == (None, None)
    newer = AgentDatum.model_validate(
        {"key": "k", "data_type": "text/plain", "value": "v", "description": None, "unit": "USD"}
    )
    assert newer.model_extra == {"unit": "USD"}


def test_an_error_code_in_place_of_a_result_list() -> None:
    item = AgentJobResultItem.model_validate({"id": "x", "status": 4, "result": "E_TIMEOUT"})
    assert item.result == "E_TIMEOUT"


def test_status_codes() -> None:
    assert [s.is_terminal for s in AgentJobStatusCode] == [
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]
    assert [s.succeeded for s in AgentJobStatusCode] == [False] * 3 + [True, False, False, True]
    future = AgentJobStatus.model_validate({"status": 9, "timestamp": 1})
    assert future.status == 9
    assert future.status.name == "UNKNOWN_9"
    assert not future.status.is_terminal
