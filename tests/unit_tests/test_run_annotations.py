"""Tools leave LangChain nothing to evaluate per call, and still work if its private look-ups go."""

from __future__ import annotations

import pytest
from langchain_core.tools import BaseTool
from langchain_core.tools import base as tools_base

from langchain_roe._tools._base import resolve_run_annotations


class Echo(BaseTool):
    name: str = "echo"
    description: str = "Says what it is given."

    def _run(self, text: str) -> str:
        return text


def test_annotations_langchain_would_find_nothing_in_are_emptied() -> None:
    class Plain(Echo):
        def _run(self, text: str) -> str:
            return text.upper()

    resolve_run_annotations(Plain)
    assert Plain._run.__annotations__ == {}
    assert Plain().invoke({"text": "hi"}) == "HI"


@pytest.mark.parametrize(
    "gone", ["_get_runnable_config_param", "_get_injected_args_keys_from_signature"]
)
def test_without_langchains_private_look_ups_the_annotations_stay_resolved(
    monkeypatch: pytest.MonkeyPatch, gone: str
) -> None:
    class Kept(Echo):
        def _run(self, text: str) -> str:
            return text * 2

    monkeypatch.delattr(tools_base, gone)
    resolve_run_annotations(Kept)
    assert Kept._run.__annotations__ == {"text": str, "return": str}
    monkeypatch.undo()
    assert Kept().invoke({"text": "a"}) == "aa"
