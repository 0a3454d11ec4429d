"""Each format the package checks has one definition, and every surface uses it."""

from __future__ import annotations

import math
import random
import sys
import tracemalloc
import uuid

import pytest

from langchain_roe import (
    AgentDatum,
    ConfigurationError,
    InvalidAgentJobIdError,
    RoeAgentJobResultLoader,
    find_references,
)
from langchain_roe._core._formats import (
    canonical_job_id,
    canonical_uuid,
    check_seconds,
    check_whole,
    is_artifact_key,
    is_uuid,
    same_origin,
)

JOB = "0b7e3f52-9c1a-4d8e-b6f3-2a4c5e7d9f10"


@pytest.mark.parametrize(
    "value", [JOB, JOB.upper(), JOB.replace("-", ""), f"  {JOB} ", uuid.UUID(JOB), "{" + JOB + "}"]
)
def test_every_form_of_a_uuid_is_one_canonical_id(value: object) -> None:
    assert is_uuid(value)
    assert canonical_uuid(value, "agent_id") == JOB
    assert canonical_job_id(value) == JOB


@pytest.mark.parametrize("value", ["", "not-a-uuid", JOB[:-1], 42, None, b"x" * 16, JOB + "0"])
def test_what_is_not_a_uuid_is_refused_by_name(value: object) -> None:
    assert not is_uuid(value)
    with pytest.raises(ValueError, match=r"^agent_id must be a UUID"):
        canonical_uuid(value, "agent_id")
    with pytest.raises(InvalidAgentJobIdError, match="agent_job_id must be a UUID"):
        canonical_job_id(value)


@pytest.mark.parametrize(
    ("value", "low", "high", "ok"),
    [
        (1, 1, 10, True),
        (10, 1, 10, True),
        (0, 0, None, True),
        (0, 1, 10, False),
        (11, 1, 10, False),
        (True, 0, 10, False),  # a bool is not a number of things
        (1.0, 0, 10, False),
        ("3", 0, 10, False),
        (10**9, 1, None, True),
    ],
)
def test_whole_numbers_in_range(value: object, low: int, high: int | None, ok: bool) -> None:
    if ok:
        assert check_whole("n", value, low, high) == value
        return
    bounds = f"between {low} and {high}" if high is not None else f"of at least {low}"
    with pytest.raises(ValueError, match=f"^n must be a whole number {bounds}, got"):
        check_whole("n", value, low, high)


def test_a_range_check_raises_the_error_class_asked_for() -> None:
    with pytest.raises(ConfigurationError, match="max_output_chars"):
        check_whole("max_output_chars", 10, 500, error=ConfigurationError)


@pytest.mark.parametrize("value", [0, -1, 0.0, math.inf, math.nan, True, "5", None])
def test_seconds_are_positive_and_finite(value: object) -> None:
    with pytest.raises(ValueError, match=r"^wait_timeout must be a positive number of seconds"):
        check_seconds("wait_timeout", value)


def test_seconds_come_back_as_float() -> None:
    assert check_seconds("wait_timeout", 5) == 5.0
    assert isinstance(check_seconds("wait_timeout", 5), float)
    assert check_seconds("wait_timeout", 1e-3) == 1e-3


@pytest.mark.parametrize(
    ("link", "same"),
    [
        ("https://api.roe-ai.com/v1/x/?page=2", True),
        (
            "https://api.roe-ai.com:443/v1/x/",
            False,
        ),  # another netloc spelling: refused, not guessed
        ("http://api.roe-ai.com/v1/x/", False),
        ("https://api.roe-ai.com.evil.example/v1/x/", False),
        ("https://evil.example/v1/x/", False),
        ("/v1/x/?page=2", False),
    ],
)
def test_next_page_links_stay_on_the_configured_origin(link: str, same: bool) -> None:
    assert same_origin("https://api.roe-ai.com", link) is same


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (f"agent-job-{JOB}/extraction_1.json", True),
        (f"  agent-job-{JOB}/a/b.json ", True),
        (f"agent-job-{JOB.upper()}/x", True),
        (f"agent-job-{JOB}/", False),
        (f"agent-job-{'-' * 36}/x", False),  # 36 hex-or-hyphen characters are not a job id
        (f"agent-job-{JOB}/x y", False),
        (f'agent-job-{JOB}/x"', False),
        (f"https://api.roe-ai.com/agent-job-{JOB}/x", False),
    ],
)
def test_one_artifact_key_format(text: str, key: bool) -> None:
    assert is_artifact_key(text) is key


def test_the_reference_tool_accepts_every_key_the_finder_finds() -> None:
    value = f'{{"artifacts": ["agent-job-{JOB}/a.json", "see agent-job-{JOB}/b/c.csv."]}}'
    found = find_references([AgentDatum(key="o", data_type="application/json", value=value)])
    keys = [r.value for r in found if r.kind == "artifact"]
    assert keys == [f"agent-job-{JOB}/a.json", f"agent-job-{JOB}/b/c.csv"]
    assert all(is_artifact_key(k) for k in keys)


def _ids(count: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(count)]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ([JOB], [JOB]),
        ([JOB, JOB.upper(), uuid.UUID(JOB)], [JOB]),
        (["3", "1", "3", "2", "1", "3"], ["3", "1", "2"]),
        (["2", "1"], ["2", "1"]),
    ],
)
def test_repeats_are_dropped_in_first_seen_order(
    given: list[str | uuid.UUID], kept: list[str]
) -> None:
    names = {str(n): str(uuid.UUID(int=n)) for n in range(1, 4)}
    ids = [names.get(i, i) if isinstance(i, str) else i for i in given]
    loader = RoeAgentJobResultLoader(ids, api_key="k")
    assert loader.agent_job_ids == [names.get(i, i) for i in kept]


def test_checking_the_ids_holds_no_copy_of_them_past_a_few_lists() -> None:
    """Checking 100,000 ids (repeats dropped, every id checked before any request) peaks at a
    few lists of references to them: no dict or set of every id beside the list kept."""
    ids = _ids(100_000)
    random.Random(0).shuffle(ids)
    ids += ids[:10]  # with repeats: the slow path is bounded too
    RoeAgentJobResultLoader(ids[:3], api_key="k")  # the client's first-use allocations
    tracemalloc.start()
    try:
        loader = RoeAgentJobResultLoader(ids, api_key="k")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loader.agent_job_ids == ids[:-10]
    assert peak <= 3.5 * sys.getsizeof(loader.agent_job_ids)  # a dict of them alone: about 5
