"""Outputs to Documents and to readable text: the pure conversion."""

from __future__ import annotations

import json

import pytest

from langchain_roe import AgentDatum, AgentJobResult, AgentJobResultItem, AgentJobStatusCode
from langchain_roe._convert._documents import (
    FinishedJob,
    document_id,
    job_documents,
    readable_value,
)
from tests.support.example_jobs import payload

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
SOURCE = f"https://api.roe-ai.com/v1/agents/jobs/{JOB}/result/"


def datum(value: str, data_type: str = "application/json", **extra: object) -> AgentDatum:
    return AgentDatum.model_validate({"key": "k", "data_type": data_type, "value": value, **extra})


@pytest.mark.parametrize(
    ("value", "data_type", "text"),
    [
        ('{"b": 1, "a": "é"}', "application/json", '{\n  "b": 1,\n  "a": "é"\n}'),
        ('{"b":1}', "application/json; charset=utf-8", '{\n  "b": 1\n}'),
        ('{"b":1}', "application/vnd.roe+json", '{\n  "b": 1\n}'),
        ('{"b":1}', "APPLICATION/JSON", '{\n  "b": 1\n}'),
        ("[1,2]", "application/json", "[\n  1,\n  2\n]"),
        ("42", "application/json", "42"),
        ('"plain"', "application/json", '"plain"'),
        ("{not json", "application/json", "{not json"),
        ('{"b":1}', "text/plain", '{"b":1}'),
        ("  spaced\ttext ", "text/plain", "  spaced\ttext "),
        ("<p>hi</p>", "text/html", "<p>hi</p>"),
    ],
)
def test_readable_value(value: str, data_type: str, text: str) -> None:
    assert readable_value(datum(value, data_type)) == text


def test_json_content_decodes_to_the_same_data() -> None:
    result = AgentJobResult.model_validate(payload("result_aml_investigation_artifacts"))
    [document] = job_documents(FinishedJob.from_result(JOB, result), source=SOURCE)
    assert json.loads(document.page_content) == json.loads(result.outputs[0].value)
    assert "\n  " in document.page_content


def test_metadata_is_flat_complete_and_has_no_none() -> None:
    result = AgentJobResult.model_validate(payload("result_web_insights_references"))
    [document] = job_documents(FinishedJob.from_result(JOB, result), source=SOURCE)
    assert document.metadata == {
        "source": SOURCE,
        "agent_job_id": JOB,
        "agent_id": "6f1c2e4a-8b3d-4f7e-9a21-3c5d7e9f0b12",
        "agent_version_id": "b2d4f6a8-1c3e-4a5b-8d7f-9e0a1b2c3d4e",
        "input_tokens": 18452,
        "output_tokens": 612,
        "key": "output",
        "description": "Output JSON data",
        "data_type": "application/json",
        "cost": 0.0213,
        "output_index": 0,
    }


def test_optional_facts_are_left_out_not_none() -> None:
    job = FinishedJob(JOB, [datum("x", "text/plain", description=""), datum("y", "text/plain")])
    for document in job_documents(job, source=SOURCE):
        assert None not in document.metadata.values()
        assert not {"description", "cost", "agent_id", "input_tokens", "status"} & set(
            document.metadata
        )
        assert all(isinstance(v, str | int | float | bool) for v in document.metadata.values())


def test_batch_items_carry_status_and_corrections() -> None:
    item = AgentJobResultItem.model_validate(payload("batch_results_mixed")[1])
    original = job_documents(FinishedJob.from_item(JOB, item), source=SOURCE)
    corrected = job_documents(
        FinishedJob.from_item(JOB, item, prefer_corrected=True), source=SOURCE
    )
    assert original[0].metadata["status"] == "CACHED"
    assert "corrected" not in original[0].metadata
    assert json.loads(original[0].page_content)["is_counterfeit"] is False
    assert corrected[0].metadata["corrected"] is True
    assert json.loads(corrected[0].page_content)["is_counterfeit"] is True
    assert corrected[0].id == original[0].id  # a correction updates the same record


def test_prefer_corrected_without_corrections_keeps_the_outputs() -> None:
    item = AgentJobResultItem.model_validate(payload("batch_results_mixed")[0])
    job = FinishedJob.from_item(JOB, item, prefer_corrected=True)
    assert not job.corrected
    assert job.status is AgentJobStatusCode.SUCCESS
    assert len(job.outputs) == 1


def test_ids_are_stable_and_unique_even_for_repeated_keys() -> None:
    job = FinishedJob(JOB, [datum("1", "text/plain"), datum("2", "text/plain")])
    first, second = job_documents(job, source=SOURCE)
    assert first.metadata["key"] == second.metadata["key"]
    assert first.id != second.id
    assert [d.id for d in job_documents(job, source=SOURCE)] == [first.id, second.id]
    assert first.id == document_id(JOB, 0)
    assert document_id(JOB, 0) != document_id("1c8f4063-ad2b-4e9f-87a4-3b5d6f8e0a21", 0)


def test_output_keys_filter_keeps_the_output_index() -> None:
    outputs = [datum("a", "text/plain", key="summary"), datum("b", "text/plain", key="score")]
    [document] = job_documents(FinishedJob(JOB, outputs), source=SOURCE, output_keys={"score"})
    assert (document.metadata["key"], document.metadata["output_index"]) == ("score", 1)
    assert document.id == document_id(JOB, 1)


def test_document_ids_are_uuid5_of_job_and_index() -> None:
    import uuid

    from langchain_roe._convert._documents import DOCUMENT_ID_NAMESPACE

    namespace = uuid.UUID(DOCUMENT_ID_NAMESPACE)
    for index in (0, 1, 17):
        assert document_id(JOB, index) == str(uuid.uuid5(namespace, f"{JOB}/{index}"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('{"n": NaN}', '{\n  "n": NaN\n}'),
        ('{"big":123456789012345678901234567890}', '{\n  "big": 123456789012345678901234567890\n}'),
        (
            '{"id":"12345678901234567890123","x":1.5}',
            '{\n  "id": "12345678901234567890123",\n  "x": 1.5\n}',
        ),
    ],
)
def test_json_the_fast_path_cannot_carry_is_laid_out_exactly(value: str, text: str) -> None:
    assert readable_value(datum(value)) == text
