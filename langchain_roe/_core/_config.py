"""Client settings: given explicitly, else read from the environment the official Roe SDKs use."""

from __future__ import annotations

import ipaddress
import os
import uuid
from typing import Any, Final, Self, TypedDict

import httpx
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from langchain_roe._core._constants import (
    BEARER_PREFIX,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_REFERENCE_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_TIMEOUT,
    ENV_PREFIX,
    LOOPBACK_HOSTS,
    MAX_MAX_RETRIES,
    MAX_TIMEOUT,
    MIN_MAX_RESPONSE_BYTES,
)
from langchain_roe._core._exceptions import ConfigurationError


class ClientSettings(TypedDict, total=False):
    """The client settings as keyword arguments, as `RoeClient`, the loaders and the toolkit take them.

    The names and meanings are `RoeSettings`' (the one definition: types, defaults, checks and
    environment variables); this is its typed keyword view, which Python's typing cannot derive
    from a model. A test fails if the two drift apart. None means not given.
    """

    api_key: str | None
    organization_id: str | None
    base_url: str | None
    timeout: float | None
    max_retries: int | None
    max_response_bytes: int | None
    allow_insecure_http: bool | None
    max_reference_bytes: int | None
    max_upload_bytes: int | None


class RoeSettings(BaseModel):
    """How a `RoeClient` reaches the API.

    Each field not given is read from its environment variable (`ROE_API_KEY`, `ROE_ORGANIZATION_ID`,
    `ROE_BASE_URL`, `ROE_TIMEOUT`, `ROE_MAX_RETRIES`, `ROE_MAX_RESPONSE_BYTES`,
    `ROE_ALLOW_INSECURE_HTTP`, `ROE_MAX_REFERENCE_BYTES`, `ROE_MAX_UPLOAD_BYTES`), else takes its
    default. Every value is checked here, once: a bad one is a `ConfigurationError` naming the
    setting (or its variable) and never quoting the key.
    """

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    api_key: SecretStr | None = None
    """Organization API key; a pasted `Bearer ` prefix is removed. Its absence is reported at the
    first request; a key that cannot be sent in a header (control or non-ASCII characters) here."""
    organization_id: str | None = None
    """Organization UUID, sent as the `organization_id` query parameter only when set."""
    base_url: str = DEFAULT_BASE_URL
    """Scheme, host and optional path of the API, without a trailing slash, user info, query or
    fragment. `http://` is accepted only for loopback hosts, or with `allow_insecure_http`."""
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=MAX_TIMEOUT, allow_inf_nan=False)
    """Seconds one attempt may take in all (connect, send, headers and the whole body)."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=MAX_MAX_RETRIES)
    """Retries after the first attempt for retryable failures; 0 disables retrying."""
    max_response_bytes: int = Field(default=DEFAULT_MAX_RESPONSE_BYTES, ge=MIN_MAX_RESPONSE_BYTES)
    """Largest answer body read, counted after decompression; a larger one is an error."""
    allow_insecure_http: bool = False
    """Allow `http://` to a host that is not loopback: the key then crosses the network in clear."""
    max_reference_bytes: int = Field(default=DEFAULT_MAX_REFERENCE_BYTES, ge=MIN_MAX_RESPONSE_BYTES)
    """Largest reference file read (a job's screenshot, HTML or markdown); a larger one is an error."""
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, ge=1)
    """Largest file uploaded as a run's input; a larger one is refused before any request."""

    def __init__(self, _sources: dict[str, str] | None = None, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            # `from None`: the validation error's own text would quote the inputs, the key among them.
            raise ConfigurationError(_describe(exc, _sources or {})) from None

    @field_validator("api_key", mode="before")
    @classmethod
    def _strip_bearer(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str):
            raw = raw.strip()
            if raw[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX.lower():
                raw = raw[len(BEARER_PREFIX) :].strip()
            if not raw:
                return None
            _check_header_safe(raw)
            return SecretStr(raw)
        return value

    @field_validator("organization_id", mode="before")
    @classmethod
    def _check_organization_id(cls, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            try:
                return str(uuid.UUID(value))
            except ValueError:
                msg = f"organization_id must be a UUID, got {value!r}"
                raise ValueError(msg) from None
        return value

    @field_validator("base_url", mode="after")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        shown = repr(value) if "@" not in value else "a URL with user info"
        if not value.startswith(("https://", "http://")):
            msg = f"base_url must start with https:// or http://, got {shown}"
            raise ValueError(msg)
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL:
            msg = f"base_url is not a valid URL: {shown}"
            raise ValueError(msg) from None
        if url.userinfo:
            msg = "base_url must not hold a user name or password: the API key is the credential"
            raise ValueError(msg)
        if url.query or url.fragment or "?" in value or "#" in value:
            msg = f"base_url must not have a query or fragment, got {shown}"
            raise ValueError(msg)
        if not url.host:
            msg = f"base_url has no host: {shown}"
            raise ValueError(msg)
        try:  # what httpx does to the host when it connects: an empty or long label fails there
            url.raw_host.decode("ascii").encode("idna")
        except UnicodeError:
            msg = f"base_url's host is not a valid host name (an empty label, or one over 63 characters): {shown}"
            raise ValueError(msg) from None
        return value

    @model_validator(mode="after")
    def _refuse_clear_text_keys(self) -> Self:
        if self.allow_insecure_http or not self.base_url.startswith("http://"):
            return self
        if not is_loopback(httpx.URL(self.base_url).host):
            msg = (
                f"base_url {self.base_url!r} is plain http:// to a host that is not loopback: the API "
                f"key would cross the network in clear text. Use https://, or set "
                f"allow_insecure_http=True ({SETTING_ENV_VARS['allow_insecure_http']}=1) if you mean it"
            )
            raise ValueError(msg)
        return self

    @classmethod
    def resolve(cls, **given: Any) -> RoeSettings:
        """Build settings from the values given, falling back to the environment for the rest.

        A value of `None` counts as not given.

        Raises:
            ConfigurationError: A value, given or read from the environment, is invalid.
        """
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, env_var in SETTING_ENV_VARS.items():
            value = given.pop(name, None)
            if value is not None:
                values[name], sources[name] = value, name
            elif os.environ.get(env_var, "").strip():
                values[name], sources[name] = os.environ[env_var], env_var
        if given:
            msg = f"unknown Roe client settings: {', '.join(sorted(given))}"
            raise ConfigurationError(msg)
        return cls(_sources=sources, **values)

    def require_api_key(self) -> str:
        """Return the API key.

        Raises:
            ConfigurationError: No key was given or found in the environment.
        """
        if self.api_key is None:
            msg = f"no Roe API key: pass api_key=... or set the {ENV_API_KEY} environment variable"
            raise ConfigurationError(msg)
        return self.api_key.get_secret_value()


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (`localhost`, 127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_header_safe(key: str) -> None:
    """Refuse a key that cannot travel in an HTTP header, saying why without quoting it."""
    for character in key:
        if not character.isascii():
            msg = "api_key holds a non-ASCII character; copy the key again from the Roe dashboard"
            raise ValueError(msg)
        if not character.isprintable() or character.isspace():
            msg = (
                "api_key holds a space, line break or other control character; "
                "copy the key again from the Roe dashboard"
            )
            raise ValueError(msg)


def _describe(exc: ValidationError, sources: dict[str, str]) -> str:
    """A settings error's message: each bad setting (or its variable) and why, with no input quoted."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        name = str(err["loc"][0]) if err["loc"] else "settings"
        message = err["msg"].removeprefix("Value error, ")
        problems.append(f"{sources.get(name, name)}: {message}")
    return f"invalid Roe client settings ({'; '.join(problems)})"


#: Each setting and the environment variable it falls back to: `ROE_` and its name in capitals.
SETTING_ENV_VARS: Final[dict[str, str]] = {
    name: ENV_PREFIX + name.upper() for name in RoeSettings.model_fields
}
ENV_API_KEY: Final = SETTING_ENV_VARS["api_key"]
