"""`python -m langchain_roe`: the `roe-job-result` command line."""

from __future__ import annotations

from langchain_roe._cli import entry

entry()
