"""Time, in one place: retries and status polls sleep and read the clock only through here.

The functions are looked up at each use, so tests swap in a fake clock and no test really waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

sleep: Callable[[float], None] = time.sleep
async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
monotonic: Callable[[], float] = time.monotonic
