"""What a job cites: found in outputs, refused off the API host, read as Blobs and artifacts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from langchain_roe import (
    AgentDatum,
    InvalidReferenceError,
    NotFoundError,
    ResponseTooLargeError,
    RoeClient,
    find_references,
)
from tests.support.example_jobs import AML, WEB, payload
from tests.support.mock_api import Script, json_response, mock_client

BASE = "https://api.roe-ai.com"
JOB = WEB
MD = "3a5c7e9b-1d3f-4a5c-8e7a-9b1d3f5a7c9e.md"


def output(value: Any, key: str = "output", data_type: str = "application/json") -> AgentDatum:
    text = value if isinstance(value, str) else json.dumps(value)
    return AgentDatum(key=key, data_type=data_type, value=text)


def test_the_web_payloads_reference_urls_are_found_in_order() -> None:
    outputs = [AgentDatum(**o) for o in payload("result_web_insights_references")["outputs"]]
    found = find_references(outputs)
    assert [r.resource_id for r in found] == [
        "5d1e9a7c-2b4f-4c6e-8a0d-1f3b5c7e9a2d.png",
        "8c2f4a6e-0b1d-4e3f-9a5c-7e9b1d3f5a7c.html",
        MD,
    ]
    assert {r.kind for r in found} == {"reference"}
    assert found[2].value == f"{BASE}/v1/agents/jobs/{JOB}/references/{MD}/"
    assert found[0].output_key == "output"
    assert found[0].output_index == 0
    assert [r.guessed_type for r in found] == ["image/png", "text/html", "text/markdown"]


def test_the_aml_payloads_artifact_keys_are_found() -> None:
    outputs = [AgentDatum(**o) for o in payload("result_aml_investigation_artifacts")["outputs"]]
    found = find_references(outputs)
    assert [(r.kind, r.value) for r in found] == [
        ("artifact", f"agent-job-{AML}/extraction_123.json"),
        ("artifact", f"agent-job-{AML}/sql_query_124.json"),
    ]
    assert found[0].resource_id is None


def test_resource_id_objects_nested_text_and_repeats() -> None:
    outputs = [
        output({"references": [{"resource_id": "a.md"}, {"resource_id": "b.html", "url": "u"}]}),
        output(
            {"deep": [[{"notes": f"see {BASE}/v1/agents/jobs/{JOB}/references/c.md/ and more"}]]}
        ),
        output(
            f"plain text citing {BASE}/v1/agents/jobs/{JOB}/references/d.md/.", "t", "text/plain"
        ),
        output({"again": ["agent-job-" + AML + "/x.json", "agent-job-" + AML + "/x.json"]}),
        output("not json {", "broken"),
        output({"references": []}, "empty"),
    ]
    found = find_references(outputs)
    assert [(r.output_index, r.kind, r.resource_id or r.value) for r in found] == [
        (0, "reference", "a.md"),
        (0, "reference", "b.html"),
        (1, "reference", "c.md"),
        (2, "reference", "d.md"),
        (3, "artifact", f"agent-job-{AML}/x.json"),  # once per output
    ]
    assert found[1].value == "u"  # an object's url, when it gives one
    assert find_references([]) == []


def test_a_value_too_big_to_walk_is_cut_short_not_crashed() -> None:
    wide = {
        "references": [f"{BASE}/v1/agents/jobs/{JOB}/references/{n}.md/" for n in range(200_000)]
    }
    found = find_references([output(wide)])
    assert 0 < len(found) < 200_000


def recorded(
    content: bytes = b"# hi\n", content_type: str = "text/markdown; charset=utf-8"
) -> Script:
    return Script([httpx.Response(200, content=content, headers={"Content-Type": content_type})])


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def get(client: RoeClient, mode: str, method: str, *args: Any) -> Any:
    if mode == "sync":
        return getattr(client, method)(*args)
    return asyncio.run(getattr(client, "a" + method)(*args))


@pytest.mark.parametrize(
    "reference",
    [
        MD,
        f"{BASE}/v1/agents/jobs/{JOB}/references/{MD}/",
        {"resource_id": MD},
        f"{BASE}:443/v1/agents/jobs/{JOB.upper()}/references/{MD}",
    ],
)
def test_a_reference_is_read_as_a_blob(mode: str, reference: Any) -> None:
    script = recorded()
    blob = get(mock_client(script), mode, "get_reference", JOB, reference)
    assert blob.as_bytes() == b"# hi\n"
    assert blob.mimetype == "text/markdown"
    assert blob.encoding == "utf-8"
    assert blob.source == f"{BASE}/v1/agents/jobs/{JOB}/references/{MD}/"
    assert blob.metadata["resource_id"] == MD
    assert blob.metadata["content_type"] == "text/markdown; charset=utf-8"
    (request,) = script.requests
    assert request.url.path == f"/v1/agents/jobs/{JOB}/references/{MD}/"
    assert request.headers["accept"] == "*/*"


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        (
            f"https://evil.example/v1/agents/jobs/{JOB}/references/{MD}/",
            "does not point at the configured",
        ),
        (
            f"http://api.roe-ai.com/v1/agents/jobs/{JOB}/references/{MD}/",
            "does not point at the configured",
        ),
        (
            f"https://api.roe-ai.com:8443/v1/agents/jobs/{JOB}/references/{MD}/",
            "does not point at the configured",
        ),
        (
            f"https://user:pw@api.roe-ai.com/v1/agents/jobs/{JOB}/references/{MD}/",
            "does not point at the configured",
        ),
        (
            f"https://api.roe-ai.com.evil.example/v1/agents/jobs/{JOB}/references/{MD}/",
            "does not point",
        ),
        (f"{BASE}/v1/agents/jobs/{AML}/references/{MD}/", f"belongs to agent job {AML}"),
        (f"{BASE}/v1/agents/jobs/{JOB}/result/", "not a Roe reference URL"),
        (
            f"{BASE}/v1/agents/jobs/{JOB}/references/..%2F..%2Fresult/",
            "not a Roe reference URL",
        ),
        ("../result", "not a reference's resource id"),
        ("a b.md", "not a reference's resource id"),
        ("", "not a reference's resource id"),
        ({"name": "x"}, "needs a 'resource_id'"),
    ],
)
def test_a_reference_off_the_api_or_the_job_is_refused_unsent(
    mode: str, reference: Any, why: str
) -> None:
    script = recorded()
    with pytest.raises(InvalidReferenceError, match=why) as caught:
        get(mock_client(script), mode, "get_reference", JOB, reference)
    assert isinstance(caught.value, ValueError)
    assert caught.value.agent_job_id == JOB
    assert script.requests == []


def test_a_base_url_with_a_path_is_kept_in_the_reference_url() -> None:
    script = recorded()
    client = mock_client(script, base_url="https://gateway.example.com/roe")
    url = f"https://gateway.example.com/roe/v1/agents/jobs/{JOB}/references/{MD}/"
    assert client.get_reference(JOB, url).source == url
    with pytest.raises(InvalidReferenceError):
        client.get_reference(
            JOB, f"https://gateway.example.com/v1/agents/jobs/{JOB}/references/{MD}/"
        )
    assert len(script.requests) == 1


def test_a_reference_past_its_cap_is_typed_and_named(mode: str) -> None:
    script = recorded(b"x" * 5000, "text/plain")
    client = mock_client(script, max_reference_bytes=2048, max_response_bytes=10_000_000)
    with pytest.raises(ResponseTooLargeError, match="max_reference_bytes=2,048") as caught:
        get(client, mode, "get_reference", JOB, MD)
    assert "ROE_MAX_REFERENCE_BYTES" in caught.value.message
    assert len(script.requests) == 1  # not retried: asking again would not shrink it


def test_the_reference_cap_is_its_own_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROE_MAX_REFERENCE_BYTES", "4096")
    assert RoeClient(api_key="k").settings.max_reference_bytes == 4096
    monkeypatch.setenv("ROE_MAX_REFERENCE_BYTES", "12")
    with pytest.raises(ValueError, match="ROE_MAX_REFERENCE_BYTES"):
        RoeClient(api_key="k")
    monkeypatch.delenv("ROE_MAX_REFERENCE_BYTES")
    assert RoeClient(api_key="k").settings.max_reference_bytes == 32 * 1024 * 1024


def test_a_binary_reference_keeps_its_bytes(mode: str) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    blob = get(mock_client(recorded(png, "image/png")), mode, "get_reference", JOB, "shot.png")
    assert blob.as_bytes() == png
    assert blob.mimetype == "image/png"


def test_an_unknown_reference_is_not_found(mode: str) -> None:
    script = Script([json_response(404, {"detail": "Not found."})])
    with pytest.raises(NotFoundError):
        get(mock_client(script), mode, "get_reference", JOB, MD)


def test_an_artifact_is_its_result(mode: str) -> None:
    key = f"agent-job-{AML}/extraction_123.json"
    script = Script([json_response(200, {"result": {"rows": [1, 2]}})])
    assert get(mock_client(script), mode, "get_artifact", AML, key) == {"rows": [1, 2]}
    (request,) = script.requests
    assert request.url.path == f"/v1/agents/jobs/{AML}/artifacts/result/"
    assert request.url.params["artifact_key"] == key


@pytest.mark.parametrize("result", [None, 0, "", [], False])
def test_an_artifact_whose_result_is_empty_or_falsy_is_returned_as_it_is(
    mode: str, result: Any
) -> None:
    script = Script([json_response(200, {"result": result})])
    assert get(mock_client(script), mode, "get_artifact", AML, "agent-job-x/y") == result


def test_an_artifact_answer_without_a_result_is_invalid(mode: str) -> None:
    script = Script([json_response(200, {"metadata": {}})])
    with pytest.raises(Exception, match="unexpected answer"):
        get(mock_client(script, max_retries=0), mode, "get_artifact", AML, "agent-job-x/y")


@pytest.mark.parametrize("key", ["", "   ", "a\nb", "k" * 2000])
def test_a_bad_artifact_key_is_refused_unsent(mode: str, key: str) -> None:
    script = Script([json_response(200, {"result": 1})])
    with pytest.raises(InvalidReferenceError, match="artifact_key must be"):
        get(mock_client(script), mode, "get_artifact", AML, key)
    assert script.requests == []


def test_info_asks_for_one_byte_and_reads_the_size_from_content_range(mode: str) -> None:
    script = Script(
        [
            httpx.Response(
                206,
                content=b"\x89",
                headers={"Content-Type": "image/png", "Content-Range": "bytes 0-0/48213"},
            )
        ]
    )
    info = get(mock_client(script), mode, "get_reference_info", JOB, "shot.png")
    assert (info.media_type, info.size, info.resource_id) == ("image/png", 48213, "shot.png")
    assert info.source == f"{BASE}/v1/agents/jobs/{JOB}/references/shot.png/"
    assert script.requests[0].headers["range"] == "bytes=0-0"


def test_info_from_a_server_that_ignores_range_is_the_length_read(mode: str) -> None:
    info = get(
        mock_client(recorded(b"x" * 1500, "image/png")), mode, "get_reference_info", JOB, "a.png"
    )
    assert info.size == 1500


def test_info_of_an_empty_file_is_size_zero(mode: str) -> None:
    script = Script([json_response(416, {"detail": "Range not satisfiable."})])
    info = get(mock_client(script), mode, "get_reference_info", JOB, "empty.png")
    assert info.size == 0
    assert len(script.requests) == 1  # a 416 is an answer, not retried


def test_info_is_refused_off_the_api_like_a_read(mode: str) -> None:
    script = recorded()
    with pytest.raises(InvalidReferenceError):
        get(mock_client(script), mode, "get_reference_info", JOB, "https://evil.example/x.png")
    assert script.requests == []
