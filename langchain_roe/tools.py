"""The Roe tools for LLM agents: jobs (read, run, references, cancel) and Roe tables (list, query).

Each is defined in `langchain_roe/_tools/` (`_result.py`, `_run.py`, `_reference.py`, `_cancel.py`,
`_tables.py`) and re-exported here (`X as X`, so type checkers and `import *` see exactly these).
"""

from langchain_roe._tools._cancel import RoeCancelAgentJobInput as RoeCancelAgentJobInput
from langchain_roe._tools._cancel import RoeCancelAgentJobTool as RoeCancelAgentJobTool
from langchain_roe._tools._reference import RoeReadJobReferenceInput as RoeReadJobReferenceInput
from langchain_roe._tools._reference import RoeReadJobReferenceTool as RoeReadJobReferenceTool
from langchain_roe._tools._result import RoeAgentJobResultInput as RoeAgentJobResultInput
from langchain_roe._tools._result import RoeAgentJobResultTool as RoeAgentJobResultTool
from langchain_roe._tools._run import RoeRunAgentTool as RoeRunAgentTool
from langchain_roe._tools._tables import RoeDescribeTableInput as RoeDescribeTableInput
from langchain_roe._tools._tables import RoeDescribeTableTool as RoeDescribeTableTool
from langchain_roe._tools._tables import RoeListTablesInput as RoeListTablesInput
from langchain_roe._tools._tables import RoeListTablesTool as RoeListTablesTool
from langchain_roe._tools._tables import RoeQueryTableInput as RoeQueryTableInput
from langchain_roe._tools._tables import RoeQueryTableTool as RoeQueryTableTool
