"""Re-embed an agent's jobs on Ray: read them as a Dataset, split, embed on an actor pool, write.

The ingestion job a new embedding model or a new chunking asks for, on a local Ray this script
starts itself (4 CPUs, more than the actor pool and read tasks use at once). Needs the `ray`
extra: `pip install '.[ray]'`, then `python -m examples.ray_ingest [OUTPUT_DIR]`.

- Offline (no `ROE_API_KEY`): 2,000 synthetic jobs of 4 outputs, served by the package's loopback
  test server in its own process (a recorded session cannot be replayed in Ray's workers).
- Live: `ROE_API_KEY` and `ROE_AGENT_ID` set; the workers read the key from their environment
  (a local Ray's workers inherit this process's).

Embeddings are fake (`DeterministicFakeEmbedding`, no model, no network); put your own in
`Embedder`. The chunks and their vectors are written to Parquet.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Before Ray is imported: no usage reporting, and (under `uv run`) workers that run this
# interpreter as it is rather than through `uv run` with this folder shipped to them.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")

import pyarrow.parquet as pq
import ray
import ray.data
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_roe.ray import documents_from_rows, read_roe_jobs

OFFLINE_JOBS = 2000
CHUNK_CHARS = 400
EMBEDDING_SIZE = 64


def split(batch: dict[str, Any]) -> dict[str, list[Any]]:
    """Each Document cut into chunks of about `CHUNK_CHARS` on line breaks (in real code, a
    `langchain_text_splitters` splitter over `documents_from_rows(batch)`)."""
    chunks: dict[str, list[Any]] = {"id": [], "agent_job_id": [], "text": []}
    for document in documents_from_rows(batch):
        pieces, current = [], ""
        for line in document.page_content.splitlines(keepends=True):
            if current and len(current) + len(line) > CHUNK_CHARS:
                pieces.append(current)
                current = ""
            current += line
        pieces.append(current)
        for number, piece in enumerate(pieces):
            chunks["id"].append(f"{document.id}/{number}")
            chunks["agent_job_id"].append(document.metadata["agent_job_id"])
            chunks["text"].append(piece)
    return chunks


class Embedder:
    """One embedding model per actor, loaded once and used for every batch the actor gets."""

    def __init__(self) -> None:
        self.model = DeterministicFakeEmbedding(size=EMBEDDING_SIZE)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {**batch, "embedding": self.model.embed_documents(list(batch["text"]))}


@contextlib.contextmanager
def jobs_to_read() -> Iterator[tuple[str, dict[str, Any]]]:
    """The agent and the settings to read it with: live from the environment, or offline."""
    if os.environ.get("ROE_API_KEY", "").strip():
        agent_id = os.environ.get("ROE_AGENT_ID", "").strip()
        if not agent_id:
            sys.exit("set ROE_AGENT_ID to the agent whose jobs to read")
        yield agent_id, {}  # the key and the rest come from the workers' environment
        return
    from tests.support.loopback import LISTED_AGENT_ID, ServerConfig, subprocess_server

    print(
        "(no ROE_API_KEY: reading synthetic jobs from a loopback server, offline)", file=sys.stderr
    )
    with subprocess_server(ServerConfig(listed_jobs=OFFLINE_JOBS, outputs=4)) as base_url:
        yield LISTED_AGENT_ID, {"base_url": base_url, "api_key": "offline-example-key"}


@contextlib.contextmanager
def local_ray() -> Iterator[None]:
    """A local Ray started here, on this machine only; one already running is used as it is."""
    if ray.is_initialized():
        yield
        return
    ray.init(num_cpus=4, include_dashboard=False, _node_ip_address="127.0.0.1")
    try:
        yield
    finally:
        ray.shutdown()


def main(output_dir: str | None = None) -> dict[str, int]:
    out = Path(output_dir or tempfile.mkdtemp(prefix="roe-ray-ingest-"))
    with local_ray(), jobs_to_read() as (agent_id, settings):
        documents = read_roe_jobs(agent_id, override_num_blocks=4, **settings)
        chunks = documents.map_batches(split)
        embedded = chunks.map_batches(Embedder, concurrency=2, batch_size=256)  # an actor pool
        embedded.write_parquet(str(out))
    table = pq.read_table(out)
    summary = {
        "chunks": table.num_rows,
        "jobs": len(set(table["agent_job_id"].to_pylist())),
        "dimensions": len(table["embedding"][0].as_py()),
    }
    print(f"{summary['chunks']} chunks of {summary['jobs']} jobs, embedded, written to {out}")
    return summary


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
