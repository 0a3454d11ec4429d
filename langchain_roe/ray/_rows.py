"""Documents as rows and back: `id`, `page_content`, and the metadata as one JSON object.

Why one `metadata` column and not a column per key: Arrow holds one schema per block and Ray
Data unifies blocks' schemas, but the metadata keys differ from job to job (`description` only
when there is one, `corrected` only for a reviewer's outputs, `job_metadata_<key>` for whatever
metadata each job was started with) and a value's type can too (a `cost` of `1` is an integer, of
`0.5` a float). Flat columns lose keys silently (`pyarrow.Table.from_pylist` takes its columns from
the first row) and fail when blocks disagree (`write_parquet` refuses an int64 `cost` column next
to a double one). A JSON string keeps every key and type, and the schema of every block is the same
three string columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import orjson
from langchain_core.documents import Document

ROW_COLUMNS: Final = ("id", "page_content", "metadata")
"""A row per Document: its id, its text, and its metadata as one JSON object (a string)."""
BLOCK_ROWS: Final = 4_096
BLOCK_BYTES: Final = 64 * 1024 * 1024
"""A read task hands Ray a block once it holds this many rows or this many bytes of text."""

_ID, _PAGE_CONTENT, _METADATA = ROW_COLUMNS


def document_rows(documents: Iterable[Document]) -> dict[str, list[str | None]]:
    """Documents as the three columns of a block, in order (metadata as compact JSON)."""
    columns: dict[str, list[str | None]] = {name: [] for name in ROW_COLUMNS}
    for document in documents:
        columns[_ID].append(document.id)
        columns[_PAGE_CONTENT].append(document.page_content)
        columns[_METADATA].append(orjson.dumps(document.metadata).decode())
    return columns


def row_batches(documents: Iterable[Document]) -> Iterator[dict[str, list[str | None]]]:
    """`document_rows` a block at a time: `BLOCK_ROWS` Documents or `BLOCK_BYTES` of text."""
    batch: list[Document] = []
    size = 0
    for document in documents:
        batch.append(document)
        size += len(document.page_content)
        if len(batch) >= BLOCK_ROWS or size >= BLOCK_BYTES:
            yield document_rows(batch)
            batch, size = [], 0
    if batch:
        yield document_rows(batch)


def documents_from_rows(batch: Any) -> list[Document]:
    """The Documents a batch of rows holds, for use inside `Dataset.map_batches`.

    Takes any batch format Ray Data hands out (`"numpy"`: a dict of arrays, `"pandas"`, or
    `"pyarrow"`), or a list of row dicts (`Dataset.take`). The Documents equal the loader's: same
    id, text and metadata (keys, values and their types).

    Example:
        ```python
        from langchain_roe.ray import documents_from_rows

        def embed(batch):
            documents = documents_from_rows(batch)
            ...
        ```

    Raises:
        KeyError: The batch lacks one of the columns `id`, `page_content` or `metadata`.
    """
    if isinstance(batch, Sequence) and not isinstance(batch, str | bytes):
        rows: Iterable[Mapping[str, Any]] = batch
        return [_document(r[_ID], r[_PAGE_CONTENT], r[_METADATA]) for r in rows]
    ids, texts, metadata = (_column(batch, name) for name in ROW_COLUMNS)
    return [_document(*row) for row in zip(ids, texts, metadata, strict=True)]


def _column(batch: Any, name: str) -> list[Any]:
    """A column of a batch as a list: pyarrow's `to_pylist`, numpy's and pandas' `tolist`."""
    column = batch[name]
    for method in ("to_pylist", "tolist"):
        convert = getattr(column, method, None)
        if convert is not None:
            return list(convert())
    return list(column)


def _document(document_id: Any, page_content: Any, metadata: Any) -> Document:
    return Document(
        id=None if document_id is None else str(document_id),
        page_content=str(page_content),
        metadata=orjson.loads(metadata) if metadata is not None else {},
    )
