"""Roe tables, measured offline against the loopback server (SQLite standing in for ClickHouse).

What a query costs in result polls and seconds (a quick one, and one the server keeps PENDING,
STARTED and RETRY first), how long the query tool's text is for an answer of 1,000 rows, and how
long `RoeTableLoader` takes for 1,000 rows.

    PYTHONPATH=. .venv/bin/python scripts/tables_figures.py
"""

from __future__ import annotations

import time

from langchain_roe import RoeClient, RoeQueryTableTool, RoeTableLoader
from tests.support.loopback import LoopbackServer, ServerConfig


def main() -> None:
    """Print the figures, one line each."""
    with (
        LoopbackServer(ServerConfig()) as server,
        RoeClient(api_key="loopback-key", base_url=server.base_url) as client,
    ):
        start = time.perf_counter()
        result = client.query_table("SELECT * FROM events LIMIT 1000", limit=1000)
        took = time.perf_counter() - start
        polls = len(server.tables.polls)
        print(
            f"query, 1,000 rows: {polls} result poll(s), {took:.3f} s, truncated={result.truncated}"
        )
        start = time.perf_counter()
        client.query_table("SELECT /* slow */ count(*) FROM events")
        took = time.perf_counter() - start
        print(f"slow query: {len(server.tables.polls) - polls} result polls, {took:.3f} s")
        tool = RoeQueryTableTool(client=client)
        text = str(tool.invoke({"sql": "SELECT * FROM events", "limit": 1000}))
        print(
            f"query tool, a truncated answer of 1,000 rows: {len(text):,} characters "
            f"(max_output_chars={tool.max_output_chars:,})"
        )
        start = time.perf_counter()
        loader = RoeTableLoader(
            sql="SELECT * FROM events LIMIT 1000", client=client, allow_truncated=True
        )
        documents = loader.load()
        print(
            f"RoeTableLoader: {len(documents):,} Documents in {time.perf_counter() - start:.3f} s"
        )


if __name__ == "__main__":
    main()
