"""The Roe tools for LLM agents: jobs (read, run, references, cancel) and Roe tables (list, query).

Each is defined in `langchain_roe/_tools/` (`_result.py`, `_run.py`, `_reference.py`, `_cancel.py`,
`_tables.py`) and exported here.
"""

from __future__ import annotations

from langchain_roe._tools._cancel import RoeCancelAgentJobInput, RoeCancelAgentJobTool
from langchain_roe._tools._reference import RoeReadJobReferenceInput, RoeReadJobReferenceTool
from langchain_roe._tools._result import RoeAgentJobResultInput, RoeAgentJobResultTool
from langchain_roe._tools._run import RoeRunAgentTool
from langchain_roe._tools._tables import (
    RoeDescribeTableInput,
    RoeDescribeTableTool,
    RoeListTablesInput,
    RoeListTablesTool,
    RoeQueryTableInput,
    RoeQueryTableTool,
)

__all__ = [
    "RoeAgentJobResultInput",
    "RoeAgentJobResultTool",
    "RoeCancelAgentJobInput",
    "RoeCancelAgentJobTool",
    "RoeDescribeTableInput",
    "RoeDescribeTableTool",
    "RoeListTablesInput",
    "RoeListTablesTool",
    "RoeQueryTableInput",
    "RoeQueryTableTool",
    "RoeReadJobReferenceInput",
    "RoeReadJobReferenceTool",
    "RoeRunAgentTool",
]
