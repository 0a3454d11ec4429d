"""Every bounded option of the tools and toolkits is checked at construction, the same way.

Each option's bound is declared once, in its field's annotation (`Whole`, `Seconds`); the check
raises `ConfigurationError` naming the option before any request and before pydantic sees the
values (pydantic's errors would quote them, the key among them).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from langchain_roe import (
    ConfigurationError,
    RoeAgentJobResultTool,
    RoeCancelAgentJobTool,
    RoeDescribeTableTool,
    RoeListTablesTool,
    RoeQueryTableTool,
    RoeReadJobReferenceTool,
    RoeRunAgentTool,
    RoeTablesToolkit,
)

KEY = "sk-roe-test-9d4c2b7a1e6f3a5b"
AGENT_ID = "3f1e2d4c-5b6a-4789-9abc-def012345678"


def run_tool(**options: Any) -> RoeRunAgentTool:
    definitions = [{"key": "text", "data_type": "text/plain"}]
    return RoeRunAgentTool(agent_id=AGENT_ID, input_definitions=definitions, **options)


#: Each class with bounded options, and how it is made with some options.
MAKERS: dict[str, Callable[..., Any]] = {
    "result tool": RoeAgentJobResultTool,
    "reference tool": RoeReadJobReferenceTool,
    "cancel tool": RoeCancelAgentJobTool,
    "run tool": run_tool,
    "list tables tool": RoeListTablesTool,
    "describe table tool": RoeDescribeTableTool,
    "query table tool": RoeQueryTableTool,
    "tables toolkit": RoeTablesToolkit,
}

BUDGET_HOLDERS = list(MAKERS)
BAD_BUDGETS = [0, 499, -1, "many", 1.5, True, None]
BAD_SECONDS = [0, -1.0, float("inf"), float("nan"), "60", True, None]


@pytest.mark.parametrize("maker", BUDGET_HOLDERS)
@pytest.mark.parametrize("budget", BAD_BUDGETS, ids=repr)
def test_a_bad_text_budget_is_refused_by_every_tool_and_toolkit(maker: str, budget: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^max_output_chars must be a whole number") as e:
        MAKERS[maker](api_key=KEY, max_output_chars=budget)
    assert KEY not in str(e.value) + "".join(traceback.format_exception(e.value))


@pytest.mark.parametrize("maker", BUDGET_HOLDERS)
def test_the_least_text_budget_is_taken(maker: str) -> None:
    assert MAKERS[maker](api_key=KEY, max_output_chars=500).max_output_chars == 500


@pytest.mark.parametrize("maker", ["run tool", "query table tool", "tables toolkit"])
@pytest.mark.parametrize("seconds", BAD_SECONDS, ids=repr)
def test_a_bad_wait_timeout_is_refused_as_a_configuration_error(
    maker: str, seconds: object
) -> None:
    with pytest.raises(ConfigurationError, match=r"^wait_timeout must be a positive number"):
        MAKERS[maker](api_key=KEY, wait_timeout=seconds)


@pytest.mark.parametrize("maker", ["run tool", "query table tool", "tables toolkit"])
def test_a_whole_number_of_seconds_is_a_wait_timeout(maker: str) -> None:
    assert MAKERS[maker](api_key=KEY, wait_timeout=1).wait_timeout == 1.0


@pytest.mark.parametrize("maker", ["describe table tool", "tables toolkit"])
@pytest.mark.parametrize("rows", [-1, 51, 2.0, "3", None], ids=repr)
def test_sample_rows_out_of_the_previews_bound_are_refused(maker: str, rows: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^sample_rows must be a whole number between 0"):
        MAKERS[maker](api_key=KEY, sample_rows=rows)


@pytest.mark.parametrize("maker", ["describe table tool", "tables toolkit"])
@pytest.mark.parametrize("rows", [0, 50])
def test_sample_rows_at_either_bound_are_taken(maker: str, rows: int) -> None:
    assert MAKERS[maker](api_key=KEY, sample_rows=rows).sample_rows == rows


@pytest.mark.parametrize("most", [0, -5, 1.5, "big"], ids=repr)
def test_the_reference_tools_image_cap_is_a_positive_whole_number(most: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^max_image_bytes must be a whole number"):
        RoeReadJobReferenceTool(api_key=KEY, max_image_bytes=most)
    assert RoeReadJobReferenceTool(api_key=KEY, max_image_bytes=1).max_image_bytes == 1


def test_the_toolkit_hands_its_checked_options_to_its_tools() -> None:
    tools = RoeTablesToolkit(api_key=KEY, max_output_chars=600, sample_rows=0, wait_timeout=5)
    describe, query = tools.get_tools()[1:]
    assert isinstance(describe, RoeDescribeTableTool)
    assert describe.sample_rows == 0
    assert isinstance(query, RoeQueryTableTool)
    assert query.wait_timeout == 5.0
    budgets = {getattr(tool, "max_output_chars", None) for tool in tools.get_tools()}
    assert budgets == {600}


def retriever(**options: Any) -> Any:
    from langchain_roe import RoeJobResultRetriever

    return RoeJobResultRetriever(agent_id=AGENT_ID, **options)


def toolkit(**options: Any) -> Any:
    from langchain_roe import RoeToolkit

    return RoeToolkit(tools=[], **options)


#: Every pydantic surface: a misspelt option must not vanish without a word.
SURFACES: dict[str, Callable[..., Any]] = {**MAKERS, "retriever": retriever, "toolkit": toolkit}


@pytest.mark.parametrize("maker", SURFACES)
def test_a_misspelt_option_is_refused_with_the_name_it_meant(maker: str) -> None:
    settings = {} if maker == "toolkit" else {"api_key": KEY}  # RoeToolkit takes ready tools
    with pytest.raises(ConfigurationError, match=r"has no option 'max_output_char'") as caught:
        SURFACES[maker](**settings, max_output_char=KEY)
    shown = str(caught.value) + "".join(traceback.format_exception(caught.value))
    assert KEY not in shown
    if maker not in ("retriever", "toolkit"):  # the ones with a text budget suggest it
        assert "did you mean 'max_output_chars'?" in str(caught.value)


def test_the_run_tool_names_the_wait_timeout_a_typo_meant() -> None:
    with pytest.raises(ConfigurationError, match=r"did you mean 'wait_timeout'\?"):
        run_tool(api_key=KEY, wait_timout=3)


@pytest.mark.parametrize("k", [0, 101, 2.5, "4"], ids=repr)
def test_the_retrievers_k_is_bounded_as_the_other_options(k: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^k must be a whole number between 1 and 100"):
        retriever(api_key=KEY, k=k)
    assert retriever(api_key=KEY, k=100).k == 100


def test_a_subclass_that_gives_a_new_default_keeps_the_bound() -> None:
    class QuickQuery(RoeQueryTableTool):
        wait_timeout: float = 60.0

    class ShortList(RoeListTablesTool):
        max_output_chars: int = 2000

    assert QuickQuery(api_key=KEY).wait_timeout == 60.0
    with pytest.raises(ConfigurationError, match=r"^wait_timeout must be a positive number"):
        QuickQuery(api_key=KEY, wait_timeout=-1)
    with pytest.raises(ConfigurationError, match=r"^max_output_chars must be a whole number"):
        ShortList(api_key=KEY, max_output_chars=1)


@pytest.mark.parametrize(
    ("maker", "options"),
    [
        (RoeQueryTableTool, {"wait_timout": 5}),
        (RoeTablesToolkit, {"sample_rows": 99}),
        (RoeListTablesTool, {"max_output_chars": 1}),
        (RoeAgentJobResultTool, {"timeout": -1}),
    ],
)
def test_model_validate_refuses_as_construction_does_never_quoting_the_key(
    maker: Any, options: dict[str, Any]
) -> None:
    given = {"api_key": KEY, **options}
    validations: list[Callable[[], object]] = [
        lambda: maker.model_validate(given),
        lambda: maker.model_validate_json(json.dumps(given)),
    ]
    for validate in validations:
        with pytest.raises(ConfigurationError) as caught:
            validate()
        shown = str(caught.value) + "".join(traceback.format_exception(caught.value))
        assert KEY[:12] not in shown


def test_model_validate_of_good_options_makes_the_surface() -> None:
    tool = RoeQueryTableTool.model_validate({"api_key": KEY, "wait_timeout": 5})
    assert tool.wait_timeout == 5.0
    assert tool.api_key is not None
    assert tool.api_key.get_secret_value() == KEY
