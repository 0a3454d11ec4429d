"""The batch results answer as the loader reads it: decoded by msgspec, checked by the public models.

The public models (`_models.py`, pydantic) describe the wire; these structs mirror the fields of
`AgentJobResultItem` and `AgentDatum` that Documents are made from, with types no looser than the
public models'. A well-formed answer decodes here in one C pass (a tenth of pydantic's time), into
objects the cyclic garbage collector does not track (structs with `gc=False`, outputs in tuples of
them), so a large answer adds nothing to the collections that run while Documents are made.
Anything these strict types refuse (a wrong type, a missing field, a body too deep) goes through
the public models instead, item by item, and the items they accept are carried over: so what the
loader accepts, and what it makes of it, is what the public models decide.
`tests/unit_tests/test_wire_fast.py` reads every fixture, cassette and generated answer both ways
and checks the Documents are the same.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from pydantic import TypeAdapter

from langchain_roe._core import _json
from langchain_roe._core._models import AgentJobResultItem, Page

#: An integer pydantic reads as the same integer: outside 64 bits the public model decides.
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class WireDatum(msgspec.Struct, frozen=True, gc=False):
    """`AgentDatum`, the fields Documents use."""

    key: str
    data_type: str
    value: str
    description: str | None = None
    cost: float | None = None


class WireResultItem(msgspec.Struct, frozen=True, gc=False):
    """`AgentJobResultItem`, the fields Documents use (`inputs` and the rest are skipped unread)."""

    id: str
    status: Int64 | None = None
    result: tuple[WireDatum, ...] | str | int | float | dict[str, Any] | None = None
    corrected_outputs: tuple[WireDatum, ...] | None = None
    agent_id: str | None = None
    agent_version_id: str | None = None
    input_tokens: Int64 | None = None
    output_tokens: Int64 | None = None


class WirePage(msgspec.Struct, frozen=True, gc=False):
    """`Page`: the paginated envelope older deployments send."""

    count: Int64 | None = None
    next: str | None = None
    previous: str | None = None
    results: list[WireResultItem] = msgspec.field(default_factory=list)


#: A batch answer the loader reads: decoded items, or (when the fast path refused the body) raw
#: JSON items still to be read one by one.
LoaderBatch = list[WireResultItem] | WirePage | list[Any] | Page[Any]

_FAST = msgspec.json.Decoder(list[WireResultItem] | WirePage)
_ENVELOPE: TypeAdapter[list[Any] | Page[Any]] = TypeAdapter(list[Any] | Page[Any])
_PUBLIC_ITEM = TypeAdapter(AgentJobResultItem)


def decode_batch(content: bytes | bytearray, headers: object = None) -> LoaderBatch:
    """Decode a batch results answer, fast when it is well formed.

    Raises:
        ValueError: The body is not JSON, or not a list or a page of items.
    """
    try:
        return _FAST.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return _ENVELOPE.validate_python(_json.loads(content))


def read_item(raw: Any) -> WireResultItem:
    """One item of a batch answer as the loader reads it.

    Raises:
        ValueError: The public model refuses the item (pydantic's `ValidationError`).
    """
    if isinstance(raw, WireResultItem):
        return raw
    item = _PUBLIC_ITEM.validate_python(raw)  # what the public model accepts, as it reads it
    return msgspec.convert(item.model_dump(), WireResultItem)
