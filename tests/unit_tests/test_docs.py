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
from tests.support.local_ray import WORKERS_LISTING, LocalRay

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "tools.md",
    ROOT / "docs" / "document_loaders.md",
    ROOT / "docs" / "toolkits.md",
    ROOT / "docs" / "retrievers.md",
    ROOT / "docs" / "tables.md",
]
#: The page whose Python runs on a local Ray (`test_the_scale_page_runs_on_a_local_ray`).
SCALE = ROOT / "docs" / "scale.md"
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


@pytest.mark.ray
@pytest.mark.enable_socket
@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.timeout(300)  # the session's Ray may start here
def test_the_scale_page_runs_on_a_local_ray(
    ray_session: LocalRay, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key and the API's address come from the environment, the workers' and this process's.
    for name, value in ray_session.environment.items():
        monkeypatch.setenv(name, value)
    runnable, skipped = blocks(SCALE)
    assert len(runnable) == 2
    assert skipped == 0
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for code in runnable:
        exec(compile(code, str(SCALE), "exec"), namespace)  # noqa: S102 - our own documentation
    rows = WORKERS_LISTING.listed_jobs * WORKERS_LISTING.outputs
    assert namespace["dataset"].count() == rows
    assert len(namespace["loaded"]) == rows
    assert len(namespace["plan"]) == 3
