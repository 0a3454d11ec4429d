"""One description of the wire: the loader's fast structs read every answer as the public models do.

`_wire_fast` mirrors fields of the pydantic models for speed. These tests read every batch answer of
the corpus, and answers with fields of every wrong type, both ways, and check each job ends the
same: the same Documents, or the same kind of error.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_roe._convert._documents import FinishedJob, job_documents
from langchain_roe._core._calls import (
    _BATCH,
    match_by_id,
    page_items,
    read_result_item,
    results_call,
)
from langchain_roe._core._config import RoeSettings
from langchain_roe._core._exceptions import RoeError
from langchain_roe._core._models import AgentDatum, AgentJobResultItem, Page
from langchain_roe._core._wire_fast import (
    WireDatum,
    WirePage,
    WireResultItem,
    decode_batch,
    read_item,
)
from tests.support.corpus import batch_answers

SETTINGS = RoeSettings.resolve()
CALL = results_call([])


@pytest.mark.parametrize(
    ("fast", "public"),
    [(WireDatum, AgentDatum), (WireResultItem, AgentJobResultItem), (WirePage, Page)],
)
def test_every_fast_field_is_a_field_of_the_public_model(fast: type, public: Any) -> None:
    names = {field.name for field in msgspec.structs.fields(fast)}
    assert names <= set(public.model_fields)


def read_both(ids: list[str], body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each job's outcome read the fast way and the public way: Documents, or an error's kind."""
    fast_items, _ = page_items(decode_batch(body), SETTINGS, CALL)
    public_items, _ = page_items(_BATCH(body, httpx.Headers()), SETTINGS, CALL)
    return (
        _outcomes(match_by_id(ids, fast_items, read_item)),
        _outcomes(match_by_id(ids, public_items, read_result_item)),
    )


def _outcomes(answers: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for agent_job_id, answer in answers.items():
        if isinstance(answer, RoeError):
            seen[agent_job_id] = type(answer).__name__
            continue
        for prefer in (False, True):
            job = FinishedJob.from_item(agent_job_id, answer, prefer_corrected=prefer)
            documents = job_documents(job, source="s")
            seen[f"{agent_job_id}/{prefer}"] = (
                job.status,
                [(d.id, d.page_content, d.metadata) for d in documents],
            )
    return seen


@pytest.mark.parametrize(
    ("ids", "body"),
    [(ids, body) for _, ids, body in batch_answers()],
    ids=[name for name, _, _ in batch_answers()],
)
def test_every_answer_of_the_corpus_reads_alike(ids: list[str], body: str) -> None:
    fast, public = read_both(ids, body.encode())
    assert fast == public


ANY_JSON = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)
JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"
GOOD_DATUM: dict[str, Any] = {
    "key": "k",
    "data_type": "application/json",
    "value": "[1]",
    "cost": 0.5,
}


@given(
    field=st.sampled_from(
        [
            "status",
            "result",
            "corrected_outputs",
            "agent_id",
            "agent_version_id",
            "input_tokens",
            "output_tokens",
            "cost",
            "inputs",
            "id",
        ]
    ),
    datum_field=st.sampled_from(["key", "data_type", "value", "description", "cost", None]),
    value=ANY_JSON,
)
@settings(
    max_examples=int(os.environ.get("ROE_PROPERTY_EXAMPLES", "400")),
    deadline=None,
    derandomize=True,
)
def test_a_field_of_any_type_is_read_alike(field: str, datum_field: str | None, value: Any) -> None:
    datum = dict(GOOD_DATUM)
    if datum_field is not None:
        datum[datum_field] = value
    item: dict[str, Any] = {"id": JOB, "status": 3, "result": [datum], "corrected_outputs": [datum]}
    item[field] = value
    neighbour = "5c0e8a2d-7f41-4b6e-9d3a-1e2f4a6b8c0d"
    healthy = {"id": neighbour, "status": 3, "result": [GOOD_DATUM]}
    body = json.dumps([item, healthy], allow_nan=True).encode()
    fast, public = read_both([JOB, neighbour], body)
    assert fast == public
