"""Job outputs into a vector store through LangChain's indexing API; the second run adds nothing.

The Document ids and the `source` metadata come from the loader, so `index()` with a record
manager recognises outputs it has seen. Run: python -m examples.rag_ingest
"""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager, index
from langchain_core.vectorstores import InMemoryVectorStore

from examples._offline import example_client, example_job_ids
from langchain_roe import RoeAgentJobResultLoader


def main() -> list[dict[str, Any]]:
    client = example_client()
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))  # any embeddings work here
    records = InMemoryRecordManager(namespace="roe-jobs")
    records.create_schema()
    runs = []
    for run in (1, 2):
        loader = RoeAgentJobResultLoader(example_job_ids(), client=client)
        stats = index(
            loader,
            records,
            store,
            cleanup="incremental",
            source_id_key="source",
            key_encoder="sha256",
        )
        print(f"run {run}: {stats}")
        runs.append(dict(stats))
    hits = store.similarity_search("counterfeit handbag", k=1)
    print("closest output:", hits[0].metadata["agent_job_id"], hits[0].page_content[:80])
    return runs


if __name__ == "__main__":
    main()
