"""The `langchain-tests` standard tool suite with what every Roe tool is built from.

A tool's test class names its `tool_constructor` and `tool_invoke_params_example`; the settings
it is made with, and how it reads them from the environment, are the same for every Roe tool.
"""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ToolsUnitTests


class RoeToolSuite(ToolsUnitTests):
    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ROE_API_KEY": "env-key", "ROE_TIMEOUT": "12", "ROE_MAX_RETRIES": "0"},
            {},
            {"api_key": "env-key", "timeout": 12.0, "max_retries": 0},
        )
