"""Shared fixtures: no network, no real sleeps, no stray ROE_* settings, cassettes from one config."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Before anything imports Ray (its constants are read once): no usage reporting, and the workers
# of a local Ray run this interpreter as it is. Under `uv run` (as `make test` runs pytest), Ray
# would otherwise start each worker through `uv run` with this tree shipped as its working
# directory, which here left the workers dying at start and the read hanging.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

from langchain_roe._core import _flow
from langchain_roe._core._config import SETTING_ENV_VARS
from tests.support.cassettes import CASSETTES, VCR_CONFIG
from tests.support.local_ray import LocalRay, shared_ray


@pytest.fixture(autouse=True)
def _sigint_raises() -> Iterator[None]:
    """A SIGINT a test sends raises `KeyboardInterrupt`, however pytest was started.

    A shell starts a background job with SIGINT ignored (and `nohup`/`setsid` may too); the
    process then inherits that, and a test's own Ctrl-C would be lost while the call it meant to
    interrupt waits on.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def _clean_roe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the ROE_* variables they set themselves."""
    for env_var in SETTING_ENV_VARS.values():
        monkeypatch.delenv(env_var, raising=False)


@pytest.fixture(autouse=True)
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No test really waits: retries and polls sleep on a fake clock, and each delay is kept here.

    The fake `monotonic` advances by every sleep, so deadlines pass as they would in real time.
    """
    delays: list[float] = []
    now = [1000.0]

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        now[0] += seconds

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    def wait(event: threading.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        sleep(seconds)
        return event.is_set()

    monkeypatch.setattr(_flow, "wait", wait)
    monkeypatch.setattr(_flow, "sleep", sleep)
    monkeypatch.setattr(_flow, "async_sleep", async_sleep)
    monkeypatch.setattr(_flow, "monotonic", lambda: now[0])
    return delays


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    return {key: value for key, value in VCR_CONFIG.items() if key != "cassette_library_dir"}


@pytest.fixture(scope="session")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


Invoke = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def invoke(request: pytest.FixtureRequest) -> Invoke:
    """Call a method by its sync name, either directly or as its `a`-prefixed twin in a fresh loop.

    One test body covers both paths: `invoke(client.get_result, job_id)` runs `get_result` in the
    sync run and `aget_result` in the async one.
    """

    def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if request.param == "sync":
            return method(*args, **kwargs)
        twin = getattr(getattr(method, "__self__"), "a" + method.__name__)  # noqa: B009
        assert inspect.iscoroutinefunction(twin)
        return asyncio.run(twin(*args, **kwargs))

    return call


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Each test twice, through a surface's sync path and its async twin (`tests/support/wire.py`)."""
    return str(request.param)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[LocalRay]:
    """One local Ray for every test marked `ray` (see `tests/support/local_ray.py`)."""
    with shared_ray() as running:
        yield running
