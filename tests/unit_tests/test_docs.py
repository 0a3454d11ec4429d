"""The Python in the README and the docs pages runs, in order, against the example jobs."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_roe import RoeClient
from tests.support.example_jobs import example_jobs
from tests.support.fake_api import FakeRoeAPI

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "tools.md",
    ROOT / "docs" / "document_loaders.md",
    ROOT / "docs" / "toolkits.md",
    ROOT / "docs" / "retrievers.md",
    ROOT / "docs" / "tables.md",
]
BLOCK = re.compile(r"(<!-- not run:[^>]*-->\n)?```python\n(.*?)```", re.DOTALL)


def blocks(page: Path) -> tuple[list[str], int]:
    """The page's Python blocks to run, and how many are marked as not run."""
    found = BLOCK.findall(page.read_text(encoding="utf-8"))
    return [code for marker, code in found if not marker], sum(1 for marker, _ in found if marker)


@pytest.fixture
def example_api(monkeypatch: pytest.MonkeyPatch) -> FakeRoeAPI:
    """Every RoeClient the docs make answers from the in-memory API over the example jobs."""
    api = FakeRoeAPI(example_jobs())
    transport = httpx.MockTransport(api.respond)
    monkeypatch.setenv("ROE_API_KEY", "docs-example-key")
    monkeypatch.setattr(RoeClient, "_sync_http", lambda self: httpx.Client(transport=transport))

    async def async_http(self: RoeClient) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=transport)

    monkeypatch.setattr(RoeClient, "_async_http_client", async_http)
    return api


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_python_block_runs(page: Path, example_api: FakeRoeAPI) -> None:
    runnable, skipped = blocks(page)
    assert runnable, f"{page.name} has no Python to run"
    assert skipped <= 1, "only a block that needs a model provider's key may be left unrun"
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for code in runnable:
        compiled = compile(code, str(page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        outcome = eval(compiled, namespace)  # noqa: S307 - our own documentation
        if inspect.iscoroutine(outcome):
            asyncio.run(outcome)
    assert example_api.requests, f"{page.name} never reached the API"
