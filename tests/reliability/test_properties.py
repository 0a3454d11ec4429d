"""Property-based: any valid outputs round-trip into Documents; any junk body is a typed error."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_roe import RoeError
from langchain_roe._convert._documents import FinishedJob, job_documents
from langchain_roe._core._models import AgentDatum
from tests.support.mock_api import mock_client

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)

outputs = st.lists(
    st.one_of(
        st.builds(
            lambda key, data, desc, cost: {
                "key": key,
                "data_type": "application/json",
                "value": json.dumps(data),
                "description": desc,
                "cost": cost,
            },
            st.text(min_size=1, max_size=10),
            json_values,
            st.none() | st.text(max_size=20),
            st.none() | st.floats(min_value=0, max_value=100),
        ),
        st.builds(
            lambda key, text, kind: {"key": key, "data_type": kind, "value": text},
            st.text(min_size=1, max_size=10),
            st.text(max_size=200),
            st.sampled_from(
                ["text/plain", "text/markdown", "image/png", "text/plain; charset=utf-8"]
            ),
        ),
    ),
    max_size=8,
)


@given(outputs)
@settings(max_examples=200, deadline=None)
def test_outputs_round_trip_into_documents(raw: list[dict[str, Any]]) -> None:
    data = [AgentDatum.model_validate(o) for o in raw]
    documents = job_documents(FinishedJob(JOB, data), source="s")
    assert len(documents) == len(raw)
    assert len({d.id for d in documents}) == len(documents)
    for document, output in zip(documents, raw, strict=True):
        if output["data_type"] == "application/json":
            assert json.loads(document.page_content) == json.loads(output["value"])
        else:
            assert document.page_content == output["value"]
        assert None not in document.metadata.values()
        assert all(isinstance(v, str | int | float | bool) for v in document.metadata.values())
        assert document.metadata["key"] == output["key"]


junk = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["outputs", "status", "id", "result", "next", "results"]),
        json_values,
        max_size=4,
    ).map(lambda v: json.dumps(v).encode()),
)


@given(
    body=junk,
    status=st.sampled_from([200, 200, 200, 400, 404, 418, 500, 502]),
    method=st.sampled_from(["get_result", "get_status", "get_results", "get_statuses"]),
)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_junk_answer_is_a_typed_error_or_a_valid_value(
    body: bytes, status: int, method: str
) -> None:
    client = mock_client(lambda request: httpx.Response(status, content=body), max_retries=0)
    argument: Any = JOB if method in ("get_result", "get_status") else [JOB]
    try:
        getattr(client, method)(argument)
    except RoeError as error:
        problem = None if error.message and str(error) and repr(error) else "an empty message"
    except Exception as error:  # anything else escaping is the bug this test looks for
        problem = f"untyped {type(error).__name__}: {error}"
    else:
        problem = None
    assert problem is None, problem
