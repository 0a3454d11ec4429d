"""`RoeJobsDatasource` and `read_roe_jobs`: the partitions of a plan as Ray Data read tasks.

The plan is made once, on the driver, when Ray first asks for the read tasks (that is, inside
`read_roe_jobs`), and kept: the Dataset reads the same partitions however often it runs. Each read
task loads its partition with `load_partition` in its worker and hands Ray blocks of rows (see
`_rows`). This is the only module of the package that imports Ray.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Unpack

from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import SETTING_ENV_VARS
from langchain_roe._core._surfaces import client_from
from langchain_roe.ray._partitions import (
    MIN_AUTO_PARTITION_JOBS,
    Partition,
    ReadOptions,
    carried_settings,
    check_options,
    load_partition,
    plan_partitions,
    process_client,
    split_filters,
)
from langchain_roe.ray._rows import ROW_COLUMNS, row_batches

#: How to get what this module needs, as its ImportError says.
RAY_EXTRA_INSTALL = "pip install 'langchain-roe[ray]'"

try:
    import pyarrow as pa
    import ray.data
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask
except ImportError as error:  # pragma: no cover - the tests run with the extra installed
    msg = f"langchain_roe.ray needs Ray Data and pyarrow: {RAY_EXTRA_INSTALL}"
    raise ImportError(msg) from error

if TYPE_CHECKING:
    from ray.data import Dataset
    from ray.data.context import DataContext

#: Every block's schema: three string columns (`_rows` says why the metadata is one of them).
ROW_SCHEMA = pa.schema([(name, pa.string()) for name in ROW_COLUMNS])


class RoeJobsDatasource(Datasource):
    """A Ray Data datasource of Roe agent jobs' Documents: one read task per planned partition.

    Takes what `plan_partitions` takes (the agent and its listing filters, or explicit ids),
    the loader's options and the client settings. Read with `ray.data.read_datasource`, or use
    `read_roe_jobs`, which does.

    Args:
        agent_id: The agent whose jobs to read (or give `job_ids`).
        job_ids: Explicit job ids.
        min_partition_jobs: Fewest jobs per read task (see `plan_partitions`).
        max_partition_jobs: Most jobs per read task.
        client: A ready client: it plans, and its settings travel to the workers.
        **options: The listing filters (`created_from`, `status`, ...), `only_succeeded`, the
            loader's options and the client settings; settings not given are read from each
            worker's own environment.
    """

    def __init__(
        self,
        agent_id: str | None = None,
        *,
        job_ids: Iterable[str | uuid.UUID] | None = None,
        min_partition_jobs: int = MIN_AUTO_PARTITION_JOBS,
        max_partition_jobs: int | None = None,
        client: RoeClient | None = None,
        **options: Unpack[ReadOptions],
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Ray's __init__ has no annotations
        filters, rest = split_filters(options)
        settings = {name: value for name, value in rest.items() if name in SETTING_ENV_VARS}
        loading = {name: value for name, value in rest.items() if name not in SETTING_ENV_VARS}
        self._planning = {
            "agent_id": agent_id,
            "job_ids": None if job_ids is None else list(job_ids),
            "min_partition_jobs": min_partition_jobs,
            "max_partition_jobs": max_partition_jobs,
            **filters,
        }
        check_options(client, settings, loading)
        self._client = client
        self._settings = settings
        self._carried = carried_settings(client, settings)
        self._options = loading
        self._plan: list[Partition] | None = None

    @property
    def plan(self) -> list[Partition] | None:
        """The partitions, once planned (None before Ray first asks for read tasks)."""
        return self._plan

    def planned(self, parallelism: int) -> list[Partition]:
        """The plan, made on the first call for `parallelism` read tasks, then kept."""
        if self._plan is None:
            planner = self._client
            if planner is None and self._planning["agent_id"] is not None:
                planner = client_from(None, dict(self._settings))
            self._plan = plan_partitions(
                partitions=max(parallelism, 1), client=planner, **self._planning
            )
        return self._plan

    def get_name(self) -> str:
        return "RoeJobs"

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self,
        parallelism: int,
        per_task_row_limit: int | None = None,
        data_context: DataContext | None = None,
    ) -> list[ReadTask]:
        """One read task per partition of the plan.

        An empty plan has one read task of no rows, so that the Dataset still has its columns.
        """
        metadata = BlockMetadata(num_rows=None, size_bytes=None, input_files=None, exec_stats=None)
        plan = self.planned(parallelism)
        if not plan:
            nothing = BlockMetadata(num_rows=0, size_bytes=0, input_files=None, exec_stats=None)
            return [ReadTask(no_rows, nothing, schema=ROW_SCHEMA)]
        return [
            ReadTask(
                functools.partial(read_partition, partition, self._carried, self._options),
                metadata,
                schema=ROW_SCHEMA,
                per_task_row_limit=per_task_row_limit,
            )
            for partition in plan
        ]


def no_rows() -> list[pa.Table]:
    """The read task of an empty plan: one block of no rows."""
    return [ROW_SCHEMA.empty_table()]


def read_partition(
    partition: Partition, settings: Mapping[str, Any], options: Mapping[str, Any]
) -> Iterator[pa.Table]:
    """A read task's body, in its worker: the partition's Documents as blocks of rows."""
    client = process_client(settings)
    documents = load_partition(partition, client=client, **options)
    for columns in row_batches(documents):
        yield pa.Table.from_pydict(columns, schema=ROW_SCHEMA)


def read_roe_jobs(
    agent_id: str | None = None,
    *,
    job_ids: Iterable[str | uuid.UUID] | None = None,
    client: RoeClient | None = None,
    override_num_blocks: int | None = None,
    concurrency: int | None = None,
    max_partition_jobs: int | None = None,
    ray_remote_args: dict[str, Any] | None = None,
    **options: Unpack[ReadOptions],
) -> Dataset:
    """Read an agent's jobs (or explicit ids) as a Ray Dataset: one row per Document.

    Rows are `id`, `page_content` and `metadata` (the Document's metadata as a JSON object, in a
    string: metadata keys differ from job to job, and one column keeps every block's schema the
    same); `documents_from_rows` turns a batch back into the loader's Documents. The jobs are cut
    into partitions up front, on this process (`plan_partitions`: disjoint creation-time windows
    sized from the listing's counts, or chunks of at most 1,000 ids), one read task each; every
    job is read exactly once, including when Ray retries a read task whose worker died.

    Example:
        ```python
        from langchain_roe.ray import documents_from_rows, read_roe_jobs

        dataset = read_roe_jobs(
            "7ad3c4e5-f6a7-4182-8c9d-0e1f2a3b4c5d", created_from="2026-11-02T09:00:00Z"
        )
        for batch in dataset.iter_batches(batch_size=100):
            documents = documents_from_rows(batch)
        ```

    Args:
        agent_id: The agent whose jobs to read (or give `job_ids`).
        job_ids: Explicit job ids instead of an agent's listing (repeats read once).
        client: A ready client; it plans here and its settings (key included) travel to the
            workers. Without it, the settings given travel and each worker reads the rest from
            its own environment (`ROE_API_KEY`, ...).
        override_num_blocks: How many read tasks to plan (Ray's name); by default Ray's choice,
            with at least 1,000 jobs per task.
        concurrency: Most read tasks running at once (each has up to `max_concurrency` requests
            in flight): the knob that keeps a cluster within the API's rate limit.
        max_partition_jobs: Most jobs per read task (10,000 by default; ids: 1,000).
        ray_remote_args: Passed to Ray for each read task (deprecated by Ray 2.60 in favour of
            its named parameters, which `ray.data.read_datasource` takes).
        **options: The listing filters (`ListingFilters`: `created_from`, `created_to`, `status`,
            `version_name`, `metadata`, `search`, `only_succeeded`; by default the newest job when
            planning ends the read, and later jobs are the next run's: start it a microsecond
            after the last partition's `created_to`), the loader's options (`output_keys`,
            `load_references`, `prefer_corrected_outputs`, `continue_on_failure`,
            `max_concurrency`, ...) and the client settings (`ReadOptions`).

    Returns:
        The Dataset, not yet read (Ray Data is lazy); its plan is `RoeJobsDatasource.plan`.

    Raises:
        ValueError: A bad id, filter or option, before any read.
        ConfigurationError: An invalid client setting.
    """
    datasource = RoeJobsDatasource(
        agent_id,
        job_ids=job_ids,
        min_partition_jobs=1 if override_num_blocks is not None else MIN_AUTO_PARTITION_JOBS,
        max_partition_jobs=max_partition_jobs,
        client=client,
        **options,
    )
    ray_args: dict[str, Any] = {"override_num_blocks": override_num_blocks}
    if concurrency is not None:
        ray_args["concurrency"] = concurrency
    if ray_remote_args is not None:
        ray_args["ray_remote_args"] = ray_remote_args
    dataset: Dataset = ray.data.read_datasource(datasource, **ray_args)
    return dataset
