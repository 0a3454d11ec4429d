"""The Roe tools for LLM agents: read a job's outputs, run an agent, read what a job cites, cancel.

Each is defined in `langchain_roe/_tools/` (`_result.py`, `_run.py`, `_reference.py`, `_cancel.py`) and
exported here.
"""

from __future__ import annotations

from langchain_roe._tools._cancel import RoeCancelAgentJobInput, RoeCancelAgentJobTool
from langchain_roe._tools._reference import RoeReadJobReferenceInput, RoeReadJobReferenceTool
from langchain_roe._tools._result import RoeAgentJobResultInput, RoeAgentJobResultTool
from langchain_roe._tools._run import RoeRunAgentTool

__all__ = [
    "RoeAgentJobResultInput",
    "RoeAgentJobResultTool",
    "RoeCancelAgentJobInput",
    "RoeCancelAgentJobTool",
    "RoeReadJobReferenceInput",
    "RoeReadJobReferenceTool",
    "RoeRunAgentTool",
]
