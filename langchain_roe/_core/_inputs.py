"""A run's inputs as a request body: text stays text, and only explicit objects become uploads.

A `str` is always a text value (a Roe file id or a URL is text too): it is never opened as a path.
A `pathlib.Path`, `bytes` or a binary file object is a file part, read here, before any request, so
that a retried request sends the same bytes and a missing file fails before anything is sent.

Several values for one input (a list or tuple: several Roe file ids, several files for an input
that `accepts_multiple_files`) are all sent, as repeated fields of one name: file parts of a
multipart body, or form fields (`application/x-www-form-urlencoded` when there is no file), as
the official SDKs encode a form. None is ever dropped; an empty list is refused.

A file object is rewound to its start before it is read (`seek(0)`), so the same object can serve
two inputs or two loads and never uploads an empty remainder; an object that cannot seek, is
closed, or is open in text mode is refused before any request. Every file is checked against
`max_upload_bytes` before any request, and read once (its bytes are sent as they were read).
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_roe._core._constants import DEFAULT_MAX_UPLOAD_BYTES

#: A file part: (field, (file name, bytes, MIME type)).
FilePart = tuple[str, tuple[str, bytes, str]]
#: Form fields: one text, or several sent as repeated fields of the same name.
FormFields = dict[str, str | list[str]]
OCTET_STREAM = "application/octet-stream"


def encode_inputs(
    inputs: Mapping[str, Any],
    metadata: Mapping[str, Any] | None = None,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> tuple[dict[str, Any] | None, FormFields | None, list[FilePart] | None]:
    """One run's inputs as a JSON body, or as form fields (and file parts, if any).

    Returns:
        (json body, None, None) when every input is one text; else (None, form fields, file
        parts), the parts None when there is no file.

    Raises:
        ValueError: An input is empty, of a type that is neither text nor a file, or a file that
            cannot be read or is past `max_upload_bytes`.
    """
    if not isinstance(inputs, Mapping) or not inputs:
        msg = f"inputs must be a non-empty mapping of input key to value, got {inputs!r}"
        raise ValueError(msg)
    if metadata is not None and not isinstance(metadata, Mapping):
        msg = f"metadata must be a mapping, got {type(metadata).__name__}"
        raise ValueError(msg)
    text: dict[str, list[str]] = {}
    files: list[FilePart] = []
    for key, value in inputs.items():
        for one in input_values(key, value):
            if isinstance(one, str):
                text.setdefault(key, []).append(one)
            else:
                files.append((key, _file(key, one, max_upload_bytes)))
    if not files and all(len(values) == 1 for values in text.values()):
        body: dict[str, Any] = {key: values[0] for key, values in text.items()}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return body, None, None
    form: FormFields = {
        key: values[0] if len(values) == 1 else values for key, values in text.items()
    }
    if metadata is not None:
        form["metadata"] = json.dumps(dict(metadata))
    return None, form, files or None


def input_values(key: object, value: Any) -> list[Any]:
    """An input's values: a list or tuple is several, anything else one.

    Raises:
        ValueError: The key is not a non-empty string, or the list is empty.
    """
    if not isinstance(key, str) or not key:
        msg = f"input keys must be non-empty strings, got {key!r}"
        raise ValueError(msg)
    values = list(value) if isinstance(value, list | tuple) else [value]
    if not values:
        msg = f"input {key!r} is an empty list: give at least one value, or leave the input out"
        raise ValueError(msg)
    return values


def text_inputs(inputs: Mapping[str, Any], position: int) -> dict[str, str]:
    """Inputs for the many-inputs endpoint, which takes one text per input (values, file ids, URLs).

    Raises:
        ValueError: A value is not text, or an input has several; say which and what to do instead.
    """
    if not isinstance(inputs, Mapping) or not inputs:
        msg = f"inputs[{position}] must be a non-empty mapping of input key to value"
        raise ValueError(msg)
    for key, value in inputs.items():
        if needs_a_form(input_values(key, value)):
            what = "several values" if isinstance(value, list | tuple) else "a file"
            msg = (
                f"inputs[{position}] holds {what} for {key!r}; the many-inputs endpoint takes one "
                "text per input: start it with run_agent (or upload the file first and pass its "
                "Roe file id as text)"
            )
            raise ValueError(msg)
    return {
        key: value[0] if isinstance(value, list | tuple) else value for key, value in inputs.items()
    }


def needs_a_form(value: Any) -> bool:
    """Whether a value is sent as a form (a file, or several values), not as one JSON text."""
    values: Sequence[Any] = value if isinstance(value, list | tuple) else [value]
    return len(values) != 1 or not isinstance(values[0], str)


def _file(key: str, value: Any, max_upload_bytes: int) -> tuple[str, bytes, str]:
    """Read one file value (checked first, as `check_inputs` does)."""
    where = f"input {key!r}"
    _check_file(where, value, max_upload_bytes)
    if isinstance(value, Path):
        try:
            content = value.read_bytes()
        except OSError as exc:
            msg = f"{where}: cannot read {str(value)!r}: {exc.strerror or exc}"
            raise ValueError(msg) from None
        name = value.name
    elif isinstance(value, bytes | bytearray):
        return key, _capped(where, bytes(value), max_upload_bytes), OCTET_STREAM
    else:
        value.seek(0)
        content = value.read()
        if not isinstance(content, bytes):
            msg = f"{where}: a file object must be opened in binary mode ('rb')"
            raise ValueError(msg)
        name = Path(str(getattr(value, "name", key))).name
    return name, _capped(where, content, max_upload_bytes), _mime(name)


def _capped(where: str, content: bytes, max_upload_bytes: int) -> bytes:
    if len(content) > max_upload_bytes:
        raise ValueError(_too_large(where, len(content), max_upload_bytes))
    return content


def _too_large(where: str, size: int, max_upload_bytes: int) -> str:
    return (
        f"{where}: the file is {size:,} bytes, past max_upload_bytes={max_upload_bytes:,} "
        "(ROE_MAX_UPLOAD_BYTES); raise the setting to upload it"
    )


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or OCTET_STREAM


def _check_file(where: str, value: Any, max_upload_bytes: int) -> None:
    """Refuse a file value that cannot be uploaded whole, without reading its content.

    Raises:
        ValueError: Not text or a file; a path that is not a readable regular file (missing, a
            directory, a FIFO or device, no permission); a file object that is text-mode, closed,
            not readable or not seekable; anything past `max_upload_bytes`.
    """
    if isinstance(value, bytes | bytearray):
        size = len(value)
    elif isinstance(value, Path):
        size = _path_size(where, value)
    elif callable(getattr(value, "read", None)):
        size = _object_size(where, value)
    else:
        msg = (
            f"{where} must be text (str), or a file as pathlib.Path, bytes or a binary file "
            f"object; got {type(value).__name__}"
        )
        raise ValueError(msg)
    if size > max_upload_bytes:
        raise ValueError(_too_large(where, size, max_upload_bytes))


def _path_size(where: str, path: Path) -> int:
    try:
        info = path.stat()
    except OSError as exc:
        msg = f"{where}: cannot read {str(path)!r}, which is not a readable file: {exc.strerror or exc}"
        raise ValueError(msg) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        msg = f"{where}: cannot read {str(path)!r}, which is not a readable file: it is {kind}"
        raise ValueError(msg)
    try:  # a regular file opens at once: this asks the permissions, not a guess from the mode
        with path.open("rb"):
            pass
    except OSError as exc:
        msg = f"{where}: cannot read {str(path)!r}, which is not a readable file: {exc.strerror or exc}"
        raise ValueError(msg) from None
    return info.st_size


def _object_size(where: str, value: Any) -> int:
    mode = getattr(value, "mode", "b")
    if isinstance(value, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        msg = f"{where}: a file object must be opened in binary mode ('rb'), not text mode"
        raise ValueError(msg)
    if getattr(value, "closed", False):
        msg = f"{where}: the file object is closed"
        raise ValueError(msg)
    readable = getattr(value, "readable", None)
    seekable = getattr(value, "seekable", None)
    if callable(readable) and not readable():
        msg = f"{where}: the file object is not open for reading"
        raise ValueError(msg)
    if not callable(getattr(value, "seek", None)) or (callable(seekable) and not seekable()):
        msg = (
            f"{where}: the file object cannot seek, so it could be read only once (a retry or a "
            "second load would upload nothing): pass its bytes (`stream.read()`) instead"
        )
        raise ValueError(msg)
    try:
        return int(value.seek(0, os.SEEK_END))
    except (OSError, ValueError) as exc:
        msg = f"{where}: the file object cannot be read: {exc}"
        raise ValueError(msg) from None


def check_inputs(
    inputs_list: Sequence[Mapping[str, Any]], *, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
) -> list[Mapping[str, Any]]:
    """Check every run's inputs before any request, without reading the files' content yet.

    Raises:
        ValueError: Not a sequence of non-empty mappings, an empty list of values, a value that is
            neither text nor a file, or a file that could not be uploaded whole (see
            `_check_file`); naming the position and the key.
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
            try:
                values = input_values(key, value)
            except ValueError as error:
                msg = f"inputs[{position}]: {error}"
                raise ValueError(msg) from None
            for one in values:
                if not isinstance(one, str):
                    _check_file(f"inputs[{position}][{key!r}]", one, max_upload_bytes)
    return list(inputs_list)
