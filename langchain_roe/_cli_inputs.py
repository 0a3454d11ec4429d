"""The command line's run inputs: `--input KEY=VALUE` and `--inputs-jsonl`, local files only when asked.

- `--input KEY=VALUE`: VALUE is text. `KEY=@PATH` uploads the file at PATH (as curl's `-F`);
  `KEY=@@TEXT` is the text `@TEXT` (a literal value starting with `@`); `KEY=@` alone is refused.
  Repeating a KEY gives that input several values, all sent (several Roe file ids, or files for an
  input that accepts several).
- `--inputs-jsonl`: one JSON object of inputs per line. A JSON line is data, often made from text
  nobody checked, so a string is always text, whatever it starts with (`"@~/.ssh/id_rsa"` is sent as
  those characters, never read). A local file is read only from the explicit object
  `{"file": "PATH"}` (PATH relative to the current directory); a JSON list gives an input several
  values (strings and file objects).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

#: The one key of the JSON object that names a local file to upload in `--inputs-jsonl`.
FILE_FIELD = "file"


def cli_inputs(
    given: Sequence[str], jsonl: str | None, stdin: TextIO | None
) -> list[dict[str, Any]]:
    """The runs asked for: one from the `--input`s, or one per line of `--inputs-jsonl`.

    Raises:
        ValueError: Neither or both given, a malformed `KEY=VALUE` or line; one line to print.
    """
    if bool(given) == bool(jsonl):
        msg = "--run takes its inputs from --input KEY=VALUE ... or --inputs-jsonl, one of them"
        raise ValueError(msg)
    if given:
        return [_from_flags(given)]
    assert jsonl is not None  # noqa: S101 - checked above: exactly one of the two was given
    return _from_jsonl(jsonl, stdin)


def _from_flags(given: Sequence[str]) -> dict[str, Any]:
    values: dict[str, list[str | Path]] = {}
    for item in given:
        key, equals, value = item.partition("=")
        if not equals or not key:
            msg = f"--input takes KEY=VALUE, got {item!r}"
            raise ValueError(msg)
        values.setdefault(key, []).append(_flag_value(key, value))
    return {key: one[0] if len(one) == 1 else one for key, one in values.items()}


def _flag_value(key: str, value: str) -> str | Path:
    """`@PATH` is the file at PATH, `@@TEXT` the text `@TEXT`, anything else the text as given."""
    if value.startswith("@@"):
        return value[1:]
    if value == "@":
        msg = (
            f"--input {key}=@ names no file: give {key}=@PATH to upload a file, or {key}=@@ for "
            "the text '@'"
        )
        raise ValueError(msg)
    return Path(value[1:]).expanduser() if value.startswith("@") else value


def _from_jsonl(source: str, stdin: TextIO | None) -> list[dict[str, Any]]:
    if source == "-":
        if stdin is None:
            msg = "--inputs-jsonl -: standard input is closed"
            raise ValueError(msg)
        lines = list(stdin)
    else:
        try:
            with open(source, encoding="utf-8") as handle:
                lines = list(handle)
        except UnicodeDecodeError:
            msg = f"--inputs-jsonl {source}: not UTF-8 text"
            raise ValueError(msg) from None
    runs = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            loaded = _json_object(number, line)
            runs.append({key: _json_value(number, key, value) for key, value in loaded.items()})
    return runs


def _json_object(number: int, line: str) -> dict[str, Any]:
    try:
        loaded = json.loads(line)
    except ValueError:
        loaded = None
        problem = "is not JSON"
    else:
        problem = "is not a JSON object of inputs"
    if not isinstance(loaded, dict):
        msg = f"--inputs-jsonl line {number} {problem}"
        raise ValueError(msg)
    return loaded


def _json_value(number: int, key: str, value: Any) -> Any:
    """A string as text, `{"file": PATH}` as the file, a list as several values."""
    if isinstance(value, list):
        if not value:
            msg = f"--inputs-jsonl line {number}: input {key!r} is an empty list"
            raise ValueError(msg)
        if any(isinstance(one, list) for one in value):
            msg = f"--inputs-jsonl line {number}: input {key!r} holds a list inside a list"
            raise ValueError(msg)
        return [_json_value(number, key, one) for one in value]
    if isinstance(value, str):
        return value
    if (
        isinstance(value, dict)
        and set(value) == {FILE_FIELD}
        and isinstance(value[FILE_FIELD], str)
    ):
        if not value[FILE_FIELD]:
            msg = f'--inputs-jsonl line {number}: input {key!r}: {{"file": ""}} names no file'
            raise ValueError(msg)
        return Path(value[FILE_FIELD])
    msg = (
        f"--inputs-jsonl line {number}: input {key!r} must be a JSON string (text), "
        f'{{"{FILE_FIELD}": "PATH"}} (a local file to upload) or a list of those; got '
        f"{'null' if value is None else type(value).__name__}"
    )
    raise ValueError(msg)
