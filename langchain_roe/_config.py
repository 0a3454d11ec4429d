"""Client settings: given explicitly, else read from the environment the official Roe SDKs use."""

from __future__ import annotations

import os
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from langchain_roe._constants import (
    BEARER_PREFIX,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_MAX_RETRIES,
    ENV_ORGANIZATION_ID,
    ENV_TIMEOUT,
)
from langchain_roe._exceptions import ConfigurationError

#: Each setting and the environment variable it falls back to.
SETTING_ENV_VARS: dict[str, str] = {
    "api_key": ENV_API_KEY,
    "organization_id": ENV_ORGANIZATION_ID,
    "base_url": ENV_BASE_URL,
    "timeout": ENV_TIMEOUT,
    "max_retries": ENV_MAX_RETRIES,
}


class RoeSettings(BaseModel):
    """How a `RoeClient` reaches the API.

    Each field not given is read from its environment variable (`ROE_API_KEY`, `ROE_ORGANIZATION_ID`,
    `ROE_BASE_URL`, `ROE_TIMEOUT`, `ROE_MAX_RETRIES`), else takes its default.
    """

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr | None = None
    """Organization API key; a pasted `Bearer ` prefix is removed. Checked at the first request."""
    organization_id: str | None = None
    """Organization UUID, sent as the `organization_id` query parameter only when set."""
    base_url: str = DEFAULT_BASE_URL
    """Scheme and host of the API, without a trailing slash."""
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    """Seconds one HTTP request may take (connect, send and each read) before it is abandoned."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    """Retries after the first attempt for retryable failures; 0 disables retrying."""

    @field_validator("api_key", mode="before")
    @classmethod
    def _strip_bearer(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str):
            raw = raw.strip()
            if raw[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX.lower():
                raw = raw[len(BEARER_PREFIX) :].strip()
            return SecretStr(raw) if raw else None
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
        if not value.startswith(("https://", "http://")):
            msg = f"base_url must start with https:// or http://, got {value!r}"
            raise ValueError(msg)
        return value

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
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{sources.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']}"
                for err in exc.errors(include_url=False, include_input=False)
            )
            msg = f"invalid Roe client settings ({problems})"
            raise ConfigurationError(msg) from exc

    def require_api_key(self) -> str:
        """Return the API key.

        Raises:
            ConfigurationError: No key was given or found in the environment.
        """
        if self.api_key is None:
            msg = f"no Roe API key: pass api_key=... or set the {ENV_API_KEY} environment variable"
            raise ConfigurationError(msg)
        return self.api_key.get_secret_value()
