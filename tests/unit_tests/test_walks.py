"""`scripts/walks.py` measures something real: each walk crosses the package and reaches httpx."""

from __future__ import annotations

import pytest

from scripts.walks import measure_walks, table

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def test_each_walk_crosses_the_package_and_reaches_httpx_send() -> None:
    walks = measure_walks()
    assert [w.walk for w in walks] == ["loader", "toolkit"]
    for walk in walks:
        assert 1 <= walk.files <= walk.functions, walk
        assert walk.hops >= 1, walk  # httpx's send was entered from package code
        assert walk.clients_built == 0, walk  # both walks are handed their client
    assert table(walks).splitlines()[0].split()[:2] == ["walk", "files"]
