"""The pydantic surfaces' settings fields are `RoeSettings`' settings, each optional (None: not given).

`RoeSettingsFields` spells the settings out again because type checkers cannot see fields made at
run time; this pins that spelling to the one definition, type by type, so the two cannot drift.
"""

from __future__ import annotations

import typing

import pytest
from pydantic import SecretStr

from langchain_roe import RoeSettings
from langchain_roe._core._config import SETTING_ENV_VARS
from langchain_roe._core._surfaces import RoeSettingsFields


def types_of(annotation: object) -> set[object]:
    return set(typing.get_args(annotation) or (annotation,)) - {type(None)}


@pytest.mark.parametrize("name", sorted(RoeSettings.model_fields))
def test_each_settings_field_has_the_settings_type_and_means_not_given_by_none(name: str) -> None:
    field = RoeSettingsFields.model_fields[name]
    assert types_of(field.annotation) == types_of(RoeSettings.model_fields[name].annotation)
    assert type(None) in typing.get_args(field.annotation)
    assert field.default is None


def test_the_fields_are_the_settings_and_the_client() -> None:
    assert set(RoeSettingsFields.model_fields) == {*RoeSettings.model_fields, "client"}
    assert set(SETTING_ENV_VARS) == set(RoeSettings.model_fields)


def test_a_surface_shows_the_settings_its_client_resolved() -> None:
    fields = RoeSettingsFields(api_key="sk-roe-test-1", timeout=7, max_retries=0)
    settings = fields.client.settings
    for name in RoeSettings.model_fields:
        assert getattr(fields, name) == getattr(settings, name), name
    assert isinstance(fields.api_key, SecretStr)
    assert fields.max_retries == 0  # a 0 is kept, not taken for "not given"
