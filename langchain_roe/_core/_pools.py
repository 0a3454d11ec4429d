"""The connection pools of one client: opened once, one per event loop, every one closed.

A sync pool is opened on first use (threads racing to it open one). Each event loop gets its own
async pool, closed when that loop shuts down (`asyncio.run` closes the async generators still open
on a loop before closing it) or by `aclose()`. Pools given by the caller are used as they are and
left for the caller to close.

Pickled, the pools travel as nothing: the copy opens its own on first use, in its own process. Pools
given by the caller cannot travel (a socket stays in its process), so pickling them is refused.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator

import httpx


class Pools:
    """The pools a `RoeClient` sends through."""

    def __init__(
        self, http_client: httpx.Client | None, async_http_client: httpx.AsyncClient | None
    ) -> None:
        self._lock = threading.Lock()
        self._http = http_client
        self._owns_http = http_client is None
        self._async_http = async_http_client
        self._async_pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}

    def __getstate__(self) -> dict[str, object]:
        if not self._owns_http or self._async_http is not None:
            raise TypeError(
                "a RoeClient given its own http_client or async_http_client cannot be pickled: "
                "those pools stay in this process; build the client where it is used, or pickle "
                "one built without them"
            )
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(None, None)  # type: ignore[misc]

    def sync(self) -> httpx.Client:
        """The sync pool, opened on first use."""
        http = self._http
        if http is None:
            with self._lock:  # threads racing to the first request open one pool, not several
                if self._http is None:
                    self._http = httpx.Client()
                http = self._http
        return http

    async def for_this_loop(self) -> httpx.AsyncClient:
        """The running event loop's async pool (or the caller's own async client)."""
        if self._async_http is not None:
            return self._async_http  # the caller's own client, on whatever loop they use it
        loop = asyncio.get_running_loop()
        pool = self._async_pools.get(loop)
        if pool is None:
            with self._lock:
                for old in [old for old in self._async_pools if old.is_closed()]:
                    del self._async_pools[old]  # closed without shutting its generators down
                pool = self._async_pools.setdefault(loop, _LoopPool(httpx.AsyncClient()))
            await pool.start()
        return pool.http

    def close(self) -> None:
        """Close the sync pool, if it was opened here."""
        with self._lock:
            http, self._http = (self._http, None) if self._owns_http else (None, self._http)
        if http is not None:
            http.close()

    async def aclose(self) -> None:
        """Close every pool opened here: this loop's now, a running loop's on that loop."""
        self.close()
        loop = asyncio.get_running_loop()
        with self._lock:
            pools, self._async_pools = self._async_pools, {}
        for pool_loop, pool in pools.items():
            if pool_loop is loop:
                await pool.aclose()
            elif pool_loop.is_running():
                asyncio.run_coroutine_threadsafe(pool.aclose(), pool_loop)


class _LoopPool:
    """An async pool and the async generator that closes it when its event loop shuts down.

    `asyncio.run` (and `asyncio.Runner`) close every async generator still open on the loop before
    closing it; this one waits at its `yield` and closes the pool in its `finally`, on the right
    loop, so no transport outlives its loop.
    """

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.closer = self._close_at_loop_end()
        self._started = False

    async def start(self) -> None:
        """Register the closer with the running loop (its first step runs there)."""
        if not self._started:
            self._started = True
            await anext(self.closer)

    async def aclose(self) -> None:
        """Close the pool now, on its own loop."""
        await self.closer.aclose()

    async def _close_at_loop_end(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self.http.aclose()
