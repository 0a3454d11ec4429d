"""How every surface gets its client: built from settings given, or given ready, never both.

`build_client` and `client_from` serve the loaders, the Ray reader and the command line;
`RoeSettingsFields` gives the pydantic surfaces (the tools, the toolkits, the retriever) the
settings as fields, and checks every option they are made with (`check_options`).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from langchain_roe._core._client import RoeClient
from langchain_roe._core._config import SETTING_ENV_VARS
from langchain_roe._core._exceptions import ConfigurationError
from langchain_roe._core._formats import check_seconds, check_whole


def build_client(client: RoeClient | None = None, **settings: Any) -> RoeClient:
    """The one place the tool, the loader and the command line get their client.

    Raises:
        ConfigurationError: Both a ready client and settings for a new one were given.
    """
    if client is None:
        return RoeClient(**settings)
    given = (
        sorted(name for name, value in settings.items() if value is not None) if settings else []
    )
    if given:
        msg = f"pass either client=... or client settings ({', '.join(given)}), not both"
        raise ConfigurationError(msg)
    return client


def client_from(client: RoeClient | None, options: dict[str, Any]) -> RoeClient:
    """`build_client` from a surface's options: the client settings among them are taken out."""
    settings = {name: options.pop(name) for name in list(options) if name in SETTING_ENV_VARS}
    return build_client(client, **settings)


# Client settings as pydantic fields, for the pydantic surfaces (the tools, the retriever). Each
# setting is checked when the surface is made, before pydantic sees it: pydantic's errors would
# quote the key. The client is built through `build_client`, as every surface builds it.


class RoeSettingsFields(BaseModel):
    """Client settings as fields, and the client built from them (or given ready)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    api_key: SecretStr | None = None
    """Organization API key; from `ROE_API_KEY` when not given."""
    organization_id: str | None = None
    """Organization UUID; from `ROE_ORGANIZATION_ID` when not given."""
    base_url: str | None = None
    """API root; from `ROE_BASE_URL`, else `https://api.roe-ai.com`."""
    timeout: float | None = None
    """Seconds one attempt may take in all; from `ROE_TIMEOUT`, else 60."""
    max_retries: int | None = None
    """Retries per request; from `ROE_MAX_RETRIES`, else 3."""
    max_response_bytes: int | None = None
    """Largest answer body read; from `ROE_MAX_RESPONSE_BYTES`, else 256 MiB."""
    allow_insecure_http: bool | None = None
    """Allow `http://` off loopback; from `ROE_ALLOW_INSECURE_HTTP`, else False."""
    max_reference_bytes: int | None = None
    """Largest reference file read; from `ROE_MAX_REFERENCE_BYTES`, else 32 MiB."""
    max_upload_bytes: int | None = None
    """Largest file uploaded as a run's input; from `ROE_MAX_UPLOAD_BYTES`, else 100 MiB."""
    client: RoeClient = Field(default_factory=RoeClient, exclude=True)
    """A ready client, instead of the settings above."""

    def __init__(self, **values: Any) -> None:
        check_options(type(self), values)
        super().__init__(**with_client(values))

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate a mapping of options as construction does.

        Pydantic would run `__init__` too, but wrap its `ConfigurationError` in a
        `ValidationError` that quotes the input, the key among it.
        """
        if isinstance(obj, Mapping) and not args and not kwargs:
            return cls(**obj)
        return super().model_validate(obj, *args, **kwargs)

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any
    ) -> Self:
        """`model_validate` of a JSON object, for the same reason."""
        if not args and not kwargs:
            return cls.model_validate(json.loads(json_data))
        return super().model_validate_json(json_data, *args, **kwargs)


@dataclass(frozen=True)
class Whole:
    """A field's bound, in its annotation: a whole number from `low` to `high` (None: no top)."""

    low: int
    high: int | None = None

    def check(self, name: str, value: object) -> None:
        check_whole(name, value, self.low, self.high, error=ConfigurationError)


@dataclass(frozen=True)
class Seconds:
    """A field's bound, in its annotation: a positive, finite number of seconds."""

    def check(self, name: str, value: object) -> None:
        check_seconds(name, value, error=ConfigurationError)


def check_options(model: type[BaseModel], values: Mapping[str, Any]) -> None:
    """Check the options a pydantic surface is made with, before pydantic sees them.

    An option the surface does not have is refused (pydantic, told to ignore extras, would drop a
    misspelt `wait_timout` without a word), and each field that carries a bound (`Whole`,
    `Seconds`) in its annotation is checked, its default too when not given. Nothing quotes a
    value: pydantic's own errors would, the key among them.

    Raises:
        ConfigurationError: An unknown option, or a value out of its field's bound; the message
            names the option.
    """
    fields = model.model_fields
    unknown = sorted(values.keys() - fields.keys())
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = f"{model.__name__} has no option {name!r}{hint}"
        raise ConfigurationError(msg)
    for name, bounds in _bounds(model).items():
        for bound in bounds:
            bound.check(name, values.get(name, fields[name].default))


@functools.cache
def _bounds(model: type[BaseModel]) -> dict[str, tuple[Whole | Seconds, ...]]:
    """Each bounded field's bounds, from every class that declares it.

    A subclass that gives a field a new default (`wait_timeout: float = 60.0`) keeps the bound its
    base declared.
    """
    found: dict[str, dict[Whole | Seconds, None]] = {}
    for klass in model.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)):
            continue
        for name, field in klass.model_fields.items():
            for bound in field.metadata:
                if isinstance(bound, Whole | Seconds):
                    found.setdefault(name, {})[bound] = None
    return {name: tuple(bounds) for name, bounds in found.items()}


def with_client(values: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments with the client built and the settings it resolved filled in.

    Raises:
        ConfigurationError: A setting is invalid, or both a client and settings were given;
            nothing quotes the key.
    """
    client = client_from(values.get("client"), dict(values))
    return {**values, **dict(client.settings), "client": client}
