"""Settings from arguments and the environment; the key never shows."""

from __future__ import annotations

import logging
import pickle

import pytest

from langchain_roe import ConfigurationError, NotFoundError, RoeClient, RoeSettings

KEY = "sk-roe-live-5f2b9c1d7e3a4b6c"


def test_defaults() -> None:
    settings = RoeSettings.resolve()
    assert settings.api_key is None
    assert (settings.base_url, settings.timeout, settings.max_retries) == (
        "https://api.roe-ai.com",
        60.0,
        3,
    )
    assert settings.organization_id is None


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROE_API_KEY", KEY)
    monkeypatch.setenv("ROE_ORGANIZATION_ID", "9F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A")
    monkeypatch.setenv("ROE_BASE_URL", "https://eu.roe.example/")
    monkeypatch.setenv("ROE_TIMEOUT", "12.5")
    monkeypatch.setenv("ROE_MAX_RETRIES", "0")
    settings = RoeClient().settings
    assert settings.require_api_key() == KEY
    assert settings.organization_id == "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    assert settings.base_url == "https://eu.roe.example"
    assert (settings.timeout, settings.max_retries) == (12.5, 0)


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROE_API_KEY", "from-env")
    monkeypatch.setenv("ROE_MAX_RETRIES", "7")
    settings = RoeClient(api_key=KEY, max_retries=0).settings
    assert settings.require_api_key() == KEY
    assert settings.max_retries == 0


@pytest.mark.parametrize("pasted", [f"Bearer {KEY}", f"bearer {KEY}", f"  Bearer   {KEY} "])
def test_a_pasted_bearer_prefix_is_removed(pasted: str) -> None:
    assert RoeSettings.resolve(api_key=pasted).require_api_key() == KEY


@pytest.mark.parametrize(
    ("env_var", "value", "named"),
    [
        ("ROE_TIMEOUT", "soon", "ROE_TIMEOUT"),
        ("ROE_TIMEOUT", "0", "ROE_TIMEOUT"),
        ("ROE_MAX_RETRIES", "-1", "ROE_MAX_RETRIES"),
        ("ROE_MAX_RETRIES", "2.5", "ROE_MAX_RETRIES"),
        ("ROE_ORGANIZATION_ID", "acme", "ROE_ORGANIZATION_ID"),
        ("ROE_BASE_URL", "api.roe-ai.com", "ROE_BASE_URL"),
    ],
)
def test_a_bad_environment_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, env_var: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env_var, value)
    with pytest.raises(ConfigurationError, match=named):
        RoeClient()


def test_a_bad_argument_names_the_parameter() -> None:
    with pytest.raises(ConfigurationError, match=r"\btimeout\b"):
        RoeClient(timeout=-3)
    with pytest.raises(ConfigurationError, match="unknown Roe client settings: api_secret"):
        RoeSettings.resolve(api_secret="x")


def test_missing_key_message_names_parameter_and_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RoeSettings.resolve().require_api_key()
    assert "api_key" in str(caught.value)
    assert "ROE_API_KEY" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_the_key_never_shows(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ROE_TIMEOUT", "nope")
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigurationError) as caught:
        RoeClient(api_key=KEY)
    assert KEY not in str(caught.value) + repr(caught.value) + caplog.text
    monkeypatch.delenv("ROE_TIMEOUT")
    client = RoeClient(api_key=KEY)
    shown = [repr(client), str(client), repr(client.settings), str(client.settings)]
    shown.append(str(client.settings.model_dump()))
    assert not any(KEY in text for text in shown)


def test_errors_pickle_with_their_fields() -> None:
    error = NotFoundError("gone", status_code=404, request_id="r", agent_job_id="j", body={"a": 1})
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is NotFoundError
    assert (copy.message, copy.status_code, copy.request_id, copy.agent_job_id, copy.body) == (
        "gone",
        404,
        "r",
        "j",
        {"a": 1},
    )
    assert str(copy) == str(error)


def test_every_surface_takes_the_settings_of_the_one_definition() -> None:
    """`RoeSettings` defines the settings; each surface's spelling of them is pinned to it."""
    import inspect
    import typing

    from langchain_roe import RoeAgentJobResultLoader, RoeAgentRunLoader, RoeClient
    from langchain_roe._core._config import SETTING_ENV_VARS, ClientSettings
    from langchain_roe._core._surfaces import RoeSettingsFields

    names = set(RoeSettings.model_fields)
    assert set(SETTING_ENV_VARS) == names
    assert set(ClientSettings.__annotations__) == names
    fields = set(RoeSettingsFields.model_fields) - {"client"}
    assert fields == names
    hints = typing.get_type_hints(ClientSettings)
    for name in names:
        # the keyword view takes the model's type, or None for "not given"
        model_type = RoeSettings.model_fields[name].annotation
        given = set(typing.get_args(hints[name])) - {type(None)}
        model = set(typing.get_args(model_type) or (model_type,)) - {type(None)}
        assert {t.__name__ for t in given} == {
            "str" if t.__name__ == "SecretStr" else t.__name__ for t in model
        }, name
    for function in (
        RoeClient.__init__,
        RoeAgentJobResultLoader.__init__,
        RoeAgentRunLoader.__init__,
    ):
        parameters = inspect.signature(function).parameters
        assert not names & set(parameters), function  # not spelled out again
        (settings,) = [p for p in parameters.values() if p.kind is p.VAR_KEYWORD]
        assert typing.get_args(typing.get_type_hints(function)[settings.name]) == (ClientSettings,)


@pytest.mark.parametrize(
    "base_url",
    ["https://api..roe-ai.com", "https://.roe-ai.com", "https://" + "a" * 64 + ".com"],
)
def test_a_host_with_an_empty_or_long_label_is_refused_when_the_client_is_made(
    base_url: str,
) -> None:
    with pytest.raises(ConfigurationError, match="not a valid host name"):
        RoeSettings(api_key="k", base_url=base_url)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://" + "a" * 63 + ".com",
        "https://café.example",
        "http://[::1]:8080",
        "http://127.0.0.1",
    ],
)
def test_hosts_at_the_edge_of_valid_are_kept(base_url: str) -> None:
    assert RoeSettings(api_key="k", base_url=base_url).base_url == base_url
