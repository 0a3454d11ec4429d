"""One local Ray for the tests marked `ray`, started once per session and shared.

Ray starts in about 15 to 30 s on a 2-core machine, so the tests share one: 4 CPUs whatever the
machine has (an actor pool and read tasks side by side cannot deadlock then), bound to
127.0.0.1, no dashboard, no usage reporting, workers' logs kept out of the test output. Its
workers' environment holds `ROE_API_KEY` and `ROE_BASE_URL` for a small listing served by the
loopback server in its own process (`WORKERS_LISTING`): a read given no settings uses them, as a
cluster's workers read their own environment. Tests that pass `base_url` use their own server.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from tests.support.loopback import ServerConfig, subprocess_server

NUM_CPUS = 4
WORKERS_KEY = "ray-workers-loopback-key"
#: What the workers' own environment points at: 60 jobs of 2 outputs.
WORKERS_LISTING = ServerConfig(listed_jobs=60, outputs=2)


@dataclass(frozen=True)
class LocalRay:
    """The running local Ray, and the listing its workers' environment points at."""

    workers_base_url: str
    workers_key: str = WORKERS_KEY

    @property
    def environment(self) -> dict[str, str]:
        return {"ROE_API_KEY": self.workers_key, "ROE_BASE_URL": self.workers_base_url}


@contextlib.contextmanager
def local_ray(env_vars: Mapping[str, str] | None = None) -> Iterator[None]:
    """A local Ray on this machine only, shut down on exit."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")  # tests/conftest.py says why
    import ray
    import ray.data

    ray.init(
        num_cpus=NUM_CPUS,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        logging_level=logging.ERROR,
        runtime_env={"env_vars": dict(env_vars or {})},
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


@contextlib.contextmanager
def shared_ray() -> Iterator[LocalRay]:
    """The session's Ray, its workers' environment pointing at `WORKERS_LISTING`."""
    with subprocess_server(WORKERS_LISTING) as base_url:
        running = LocalRay(base_url)
        with local_ray(running.environment):
            yield running
