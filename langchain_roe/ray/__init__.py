"""An agent's jobs as a Ray Dataset, partitioned up front: the `ray` extra.

`read_roe_jobs` reads an agent's jobs (or explicit ids) into a `ray.data.Dataset` of one row per
Document (`id`, `page_content`, `metadata` as JSON); `documents_from_rows` turns a batch back into
Documents inside `map_batches`. Underneath, `RoeJobsDatasource`'s read tasks are the partitions
`plan_partitions` makes, each loaded by `load_partition`: those two need no Ray, so Spark or Dask
can map `load_partition` over the same plan.

Ray is imported only when `read_roe_jobs` or `RoeJobsDatasource` is first named; without it,
naming them raises an `ImportError` saying `pip install 'langchain-roe[ray]'`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_roe._lazy import lazy_names
from langchain_roe.ray._partitions import (
    JobChunk,
    JobFinding,
    JobWindow,
    ListingFilters,
    Partition,
    PartitionOptions,
    PlanOptions,
    ReadOptions,
    load_partition,
    plan_partitions,
)
from langchain_roe.ray._rows import documents_from_rows

if TYPE_CHECKING:
    from langchain_roe.ray._datasource import RoeJobsDatasource, read_roe_jobs

__all__ = [
    "JobChunk",
    "JobFinding",
    "JobWindow",
    "ListingFilters",
    "Partition",
    "PartitionOptions",
    "PlanOptions",
    "ReadOptions",
    "RoeJobsDatasource",
    "documents_from_rows",
    "load_partition",
    "plan_partitions",
    "read_roe_jobs",
]

#: The names that need Ray, and the module that defines them.
_NEEDS_RAY = {
    "RoeJobsDatasource": "langchain_roe.ray._datasource",
    "read_roe_jobs": "langchain_roe.ray._datasource",
}


__getattr__, __dir__ = lazy_names(__name__, _NEEDS_RAY, globals(), __all__)
