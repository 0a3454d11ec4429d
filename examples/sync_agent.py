"""Keep a vector store in step with an agent's jobs, and search them: the incremental-sync recipe.

Run: python -m examples.sync_agent
Offline (no ROE_API_KEY) it replays a recorded session (`langchain_roe/demo/sync_session.yaml`,
built from the API reference's payloads). With ROE_API_KEY and ROE_EXAMPLE_AGENT_ID (an agent of
yours with finished jobs) it reads that agent's jobs for real; nothing is started or paid for.

The first sync indexes every finished job; the next one lists only the jobs created since a time
(a window that also covers the jobs reviewers may still correct) and changes only what changed.
`index_agent_jobs` is LangChain's `index(..., cleanup="incremental", source_id_key="agent_job_id")`
called on whole jobs, so a job's outputs never straddle two batches.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_roe import (
    RoeAgentJobResultLoader,
    RoeClient,
    RoeJobResultRetriever,
    index_agent_jobs,
)
from langchain_roe.replay import (
    SYNC_SESSION,
    SYNC_SESSION_AGENT_ID,
    SYNC_SESSION_SINCE,
    replay_client,
)


def main() -> dict[str, Any]:
    agent_id = os.environ.get("ROE_EXAMPLE_AGENT_ID", "").strip()
    if os.environ.get("ROE_API_KEY", "").strip() and agent_id:
        client = RoeClient()
    else:
        print(
            "(replaying a recorded session offline: no ROE_API_KEY or ROE_EXAMPLE_AGENT_ID)",
            file=sys.stderr,
        )
        client, agent_id = replay_client(SYNC_SESSION), SYNC_SESSION_AGENT_ID

    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))  # any embeddings work here
    records = InMemoryRecordManager(namespace=f"roe/{agent_id}")
    records.create_schema()

    # First sync: every finished job of the agent, listed 4 a page (oldest first).
    loader = RoeAgentJobResultLoader.from_agent(agent_id, client=client, page_size=4)
    first = index_agent_jobs(loader, records, store, batch_size=4, key_encoder="sha256")
    print(f"first sync: {first}")

    # Later: only the jobs created since the last sync's window start.
    loader = RoeAgentJobResultLoader.from_agent(
        agent_id, client=client, page_size=4, created_from=SYNC_SESSION_SINCE
    )
    later = index_agent_jobs(loader, records, store, batch_size=4, key_encoder="sha256")
    print(f"sync since {SYNC_SESSION_SINCE}: {later}")

    # Ask Roe which jobs are most like a question, by meaning, then by text.
    by_meaning = RoeJobResultRetriever(agent_id=agent_id, client=client, k=3)
    for document in by_meaning.invoke("cash deposits and the data they output"):
        meta = document.metadata
        print(f"rank {meta['rank']}: job {meta['agent_job_id']} ({meta['key']})")
    by_text = RoeJobResultRetriever(agent_id=agent_id, client=client, k=2, search_type="text")
    found = by_text.invoke("Louis Vuitton")
    print(f"text search: {[d.metadata['agent_job_id'] for d in found]}")
    return {"first": dict(first), "later": dict(later), "found": found}


if __name__ == "__main__":
    main()
