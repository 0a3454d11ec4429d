"""`from langchain_roe import RoeClient` stays light: the LangChain surfaces load on first use.

Each check runs in a fresh interpreter, since this one has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "langchain_core.vectorstores",
    "langchain_core.indexing",
    "langchain_core.tracers",
    "langchain_core.retrievers",
    "langchain_core.document_loaders",
    "langchain_core.tools",
    "langsmith",
)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "statement",
    [
        "from langchain_roe import RoeClient",
        "from langchain_roe import RoeError, AgentDatum, RoeSettings, __version__",
        "import langchain_roe._core._client",
    ],
)
def test_the_client_loads_no_vector_store_indexing_or_tracing_code(statement: str) -> None:
    assert _heavy(_modules_after(statement)) == []


def test_a_surface_is_loaded_when_first_named() -> None:
    modules = _modules_after("from langchain_roe import RoeToolkit")
    assert "langchain_roe.toolkits" in modules
    assert "langchain_core.tools" in modules
    # ...and the surfaces nobody named stay unloaded.
    assert "langchain_roe.indexing" not in modules
    assert "langchain_roe.retrievers" not in modules


def test_every_public_name_resolves_and_is_listed() -> None:
    import langchain_roe

    for name in langchain_roe.__all__:
        assert getattr(langchain_roe, name) is not None
    assert set(langchain_roe.__all__) <= set(dir(langchain_roe))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = langchain_roe.no_such_name
