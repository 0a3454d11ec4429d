"""A run's inputs as a request body: text stays text, and only explicit objects become uploads.

A `str` is always a text value (a Roe file id or a URL is text too): it is never opened as a path.
A `pathlib.Path`, `bytes` or a binary file object is a file part, read here, before any request, so
that a retried request sends the same bytes and a missing file fails before anything is sent.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: A file part: (field, (file name, bytes, MIME type)).
FilePart = tuple[str, tuple[str, bytes, str]]
OCTET_STREAM = "application/octet-stream"


def encode_inputs(
    inputs: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any] | None, dict[str, str] | None, list[FilePart] | None]:
    """One run's inputs as a JSON body, or as form fields and file parts when there are files.

    Returns:
        (json body, None, None) with text only; (None, form fields, file parts) with files.

    Raises:
        ValueError: An input is empty, of a type that is neither text nor a file, or a file that
            cannot be read.
    """
    if not isinstance(inputs, Mapping) or not inputs:
        msg = f"inputs must be a non-empty mapping of input key to value, got {inputs!r}"
        raise ValueError(msg)
    text: dict[str, str] = {}
    files: list[FilePart] = []
    for key, value in inputs.items():
        if not isinstance(key, str) or not key:
            msg = f"input keys must be non-empty strings, got {key!r}"
            raise ValueError(msg)
        values = value if isinstance(value, list | tuple) else [value]
        for one in values:
            if isinstance(one, str):
                text[key] = one
            else:
                files.append((key, _file(key, one)))
    if metadata is not None and not isinstance(metadata, Mapping):
        msg = f"metadata must be a mapping, got {type(metadata).__name__}"
        raise ValueError(msg)
    if not files:
        body: dict[str, Any] = dict(text)
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return body, None, None
    form = dict(text)
    if metadata is not None:
        form["metadata"] = json.dumps(dict(metadata))
    return None, form, files


def text_inputs(inputs: Mapping[str, Any], position: int) -> dict[str, str]:
    """Inputs for the many-inputs endpoint, which takes text only (values, Roe file ids, URLs).

    Raises:
        ValueError: A value is not text; say which input and what to do instead.
    """
    body, _, files = encode_inputs(inputs)
    if files or body is None:
        msg = (
            f"inputs[{position}] holds a file; the many-inputs endpoint takes text only: start it "
            "with run_agent, or upload the file first and pass its Roe file id as text"
        )
        raise ValueError(msg)
    return {key: str(value) for key, value in body.items()}


def is_file_input(value: Any) -> bool:
    """Whether a value would be uploaded as a file part."""
    values: Sequence[Any] = value if isinstance(value, list | tuple) else [value]
    return any(not isinstance(one, str) for one in values)


def _file(key: str, value: Any) -> tuple[str, bytes, str]:
    if isinstance(value, Path):
        try:
            content = value.read_bytes()
        except OSError as exc:
            msg = f"input {key!r}: cannot read {str(value)!r}: {exc.strerror or exc}"
            raise ValueError(msg) from None
        return value.name, content, _mime(value.name)
    if isinstance(value, bytes | bytearray):
        return key, bytes(value), OCTET_STREAM
    read = getattr(value, "read", None)
    if callable(read):
        content = read()
        if not isinstance(content, bytes):
            msg = f"input {key!r}: a file object must be opened in binary mode ('rb')"
            raise ValueError(msg)
        name = Path(str(getattr(value, "name", key))).name
        return name, content, _mime(name)
    msg = (
        f"input {key!r} must be text (str), or a file as pathlib.Path, bytes or a binary file "
        f"object; got {type(value).__name__}"
    )
    raise ValueError(msg)


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or OCTET_STREAM


def check_inputs(inputs_list: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Check every run's inputs before any request, without reading files yet.

    Raises:
        ValueError: Not a sequence of non-empty mappings, a value that is neither text nor a file,
            or a file path that does not name a readable file; naming the position.
    """
    if isinstance(inputs_list, Mapping | str) or not isinstance(inputs_list, Sequence):
        msg = "inputs must be a sequence of input mappings (one mapping per job)"
        raise ValueError(msg)
    if not inputs_list:
        msg = "inputs is empty: give at least one mapping of input key to value"
        raise ValueError(msg)
    for position, inputs in enumerate(inputs_list):
        if not isinstance(inputs, Mapping) or not inputs:
            msg = f"inputs[{position}] must be a non-empty mapping of input key to value"
            raise ValueError(msg)
        for key, value in inputs.items():
            for one in value if isinstance(value, list | tuple) else [value]:
                if isinstance(one, str | bytes | bytearray) or callable(getattr(one, "read", None)):
                    continue
                if isinstance(one, Path):
                    if not one.is_file():
                        msg = f"inputs[{position}][{key!r}]: {str(one)!r} is not a readable file"
                        raise ValueError(msg)
                    continue
                msg = (
                    f"inputs[{position}][{key!r}] must be text (str), or a file as pathlib.Path, "
                    f"bytes or a binary file object; got {type(one).__name__}"
                )
                raise ValueError(msg)
    return list(inputs_list)
