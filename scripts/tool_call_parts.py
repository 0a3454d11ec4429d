"""Where one tool call's time goes: LangChain's `BaseTool.invoke` against ours, layer by layer.

Two splits, printed in microseconds per call:

1. End to end, over the loopback server in its own process (`--calls` sequential calls a round, the
   layers taking turns in rotating order, `--rounds` rounds, at no latency and at 5 ms), each layer
   doing one more thing than the one before it:

   - `bare`: an httpx GET and `json.loads` (the bench's floor);
   - `langchain floor`: a trivial `BaseTool` whose `_run` does that bare GET, invoked with a
     `ToolCall` (the same args schema, no annotations left for LangChain to evaluate): the least
     any LangChain tool costs over the bare GET;
   - `client`: `RoeClient.get_result` (request building, headers, retry loop, the deadline's
     watchdog and socket guard, the body streamed within its size cap, decoding by the model);
   - `tool flow`: the tool's own work without LangChain (`client._drive(tool._flow(id))`: the
     client call, then the text a model reads and the artifact);
   - `tool`: `RoeAgentJobResultTool.invoke` with a `ToolCall`, as `make bench` times it.

   Derived: ours in the client (client - bare), ours in the tool (tool flow - client), LangChain
   around our tool (tool - tool flow) against LangChain's floor (langchain floor - bare).

2. In process, without HTTP (best of 7 rounds): LangChain's `invoke` of a stub tool of the bare
   shape and of ours (their `_run` answering at once), what LangChain's per-call look at `_run`'s
   annotations costs, and each of our per-call parts on one recorded answer.

    PYTHONPATH=. .venv/bin/python -m scripts.tool_call_parts [--rounds 7] [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any, Literal

import httpx
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.tools.base import _get_runnable_config_param
from pydantic import BaseModel

from benchmarks.harness import side_by_side
from benchmarks.sides import KEY, floor_single, ours_single
from langchain_roe import RoeAgentJobResultTool, RoeClient
from langchain_roe._convert._agent_text import result_artifact, result_text
from langchain_roe._convert._documents import FinishedJob
from langchain_roe._core._attempt import WATCHDOG, BodyCollector, SocketGuard
from langchain_roe._core._calls import result_call
from langchain_roe._core._flow import Flow
from langchain_roe._core._http import body_limit, read_response, request_arguments
from langchain_roe._tools._base import Answer, resolve_run_annotations
from langchain_roe._tools._result import RoeAgentJobResultInput
from tests.support.loopback import ServerConfig, job_ids, subprocess_server

LATENCIES = (0.0, 0.005)


def bare_tool(http: httpx.Client) -> BaseTool:
    """LangChain's floor: a `BaseTool` of our tool's args schema whose `_run` is the bare GET."""

    class BareTool(BaseTool):
        name: str = "bare_get"
        description: str = "GET a job's result, bare."
        args_schema: type[BaseModel] = RoeAgentJobResultInput

        def _run(self, agent_job_id: str, output_keys: list[str] | None = None) -> str:
            response = http.get(
                f"/v1/agents/jobs/{agent_job_id}/result/",
                headers={"Authorization": f"Bearer {KEY}"},
            )
            return json.dumps(json.loads(response.content))

    resolve_run_annotations(BareTool)  # as ours: no annotations left for LangChain to evaluate
    return BareTool()


def end_to_end(latency: float, rounds: int, calls: int) -> None:
    ids = job_ids(calls)
    with subprocess_server(ServerConfig(outputs=4, latency=latency)) as base_url:
        http = httpx.Client(base_url=base_url, timeout=60)
        client = RoeClient(api_key=KEY, base_url=base_url)
        tool = RoeAgentJobResultTool(client=client)
        floor_tool = bare_tool(http)

        def flow() -> None:
            for agent_job_id in ids:
                client._drive(tool._flow(agent_job_id))

        def client_calls() -> None:
            for agent_job_id in ids:
                client.get_result(agent_job_id)

        sides: dict[str, Callable[[], None]] = {
            "bare": lambda: floor_single(http, ids),
            "langchain floor": lambda: ours_single(floor_tool, ids),  # type: ignore[arg-type]
            "client": client_calls,
            "tool flow": flow,
            "tool": lambda: ours_single(tool, ids),
        }
        times = side_by_side(sides, rounds)
        http.close()
        client.close()
    per_call = {name: statistics.median(t) / calls * 1e6 for name, t in times.items()}
    bare = per_call["bare"]
    print(f"\nend to end, {latency * 1000:g} ms latency ({calls} calls x {rounds} rounds):")
    for name, seconds in times.items():
        ratios = [a / b for a, b in zip(seconds, times["bare"], strict=True)]
        print(
            f"  {name:<16} {per_call[name]:8.1f} us/call  over bare {per_call[name] - bare:7.1f} "
            f"us  ratio {statistics.median(ratios):.3f} [{min(ratios):.3f}-{max(ratios):.3f}]"
        )
    print(f"  budget at <= 1.1: {bare * 0.1:.1f} us over bare")
    print(f"  ours, in the client (client - bare):            {per_call['client'] - bare:7.1f} us")
    print(
        "  ours, in the tool (tool flow - client):         "
        f"{per_call['tool flow'] - per_call['client']:7.1f} us"
    )
    print(
        "  LangChain around our tool (tool - tool flow):   "
        f"{per_call['tool'] - per_call['tool flow']:7.1f} us"
    )
    print(
        "  LangChain's floor (langchain floor - bare):     "
        f"{per_call['langchain floor'] - bare:7.1f} us"
    )


def _best(run: Callable[[], object], number: int) -> float:
    """Microseconds per run, the best of 7 rounds of `number` runs."""
    return min(timeit.repeat(run, number=number, repeat=7)) / number * 1e6


def in_process() -> None:
    agent_job_id = job_ids(1)[0]
    text, artifact = "x" * 1500, {"agent_job_id": agent_job_id}

    class StubBare(BaseTool):
        name: str = "stub"
        description: str = "answers at once"
        args_schema: type[BaseModel] = RoeAgentJobResultInput
        response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

        def _run(self, agent_job_id: str, output_keys: list[str] | None = None) -> Any:
            return text, artifact

    resolve_run_annotations(StubBare)

    class StubOurs(RoeAgentJobResultTool):
        def _flow(self, agent_job_id: str, output_keys: list[str] | None = None) -> Flow[Answer]:
            return (text, artifact)
            yield  # a generator that yields nothing: a flow with no call

    unreachable = RoeClient(api_key=KEY, base_url="http://127.0.0.1:9")
    print("\nin process, no HTTP (best of 7 rounds):")
    for stub in (StubBare(), StubOurs(client=unreachable)):
        tool_call = {
            "type": "tool_call",
            "id": "1",
            "name": stub.name,
            "args": {"agent_job_id": agent_job_id},
        }
        invoke = _best(lambda: stub.invoke(tool_call), 3000)  # noqa: B023
        look = _best(lambda: _get_runnable_config_param(stub._run), 20_000)  # noqa: B023
        print(
            f"  LangChain invoke, {type(stub).__name__:<8} {invoke:8.1f} us  (of which its "
            f"RunnableConfig look at _run's annotations {look:.1f} us)"
        )

    with subprocess_server(ServerConfig(outputs=4)) as base_url:
        client = RoeClient(api_key=KEY, base_url=base_url)
        http = client._sync_http()
        call = result_call(agent_job_id)
        arguments = request_arguments(client.settings, call)
        response = http.send(http.build_request(**arguments), stream=True)
        response.read()
        body = response.content
        result = read_response(response, body, call)
        job = FinishedJob.from_result(agent_job_id, result)
        done = SocketGuard()
        done.finish()

        def retry_loop() -> None:
            for attempt in client._retry.retrying(call):
                with attempt:
                    return

        def guard() -> None:
            armed = SocketGuard()
            WATCHDOG.arm(time.monotonic() + 60, armed)
            armed.finish()

        def body_read() -> None:
            BodyCollector(response, call, *body_limit(client.settings, call)).add(body)

        parts: dict[str, Callable[[], object]] = {
            "the call (result_call)": lambda: result_call(agent_job_id),
            "request arguments": lambda: request_arguments(client.settings, call),
            "httpx build_request": lambda: http.build_request(
                **arguments, extensions={"trace": done.trace}
            ),
            "retry loop, one attempt": retry_loop,
            "deadline guard + watchdog arm": guard,
            "body collector": body_read,
            "json.loads (the floor's decode)": lambda: json.loads(body),
            "read_response (decode, model)": lambda: read_response(response, body, call),
            "FinishedJob.from_result": lambda: FinishedJob.from_result(agent_job_id, result),
            "result_text": lambda: result_text(job, output_keys=None, max_chars=20_000),
            "result_artifact": lambda: result_artifact(agent_job_id, result),
            "ToolMessage": lambda: ToolMessage(
                content=text, artifact=artifact, tool_call_id="1", name="n"
            ),
        }
        for name, run in parts.items():
            print(f"  {name:<34} {_best(run, 5000):6.2f} us")
        response.close()
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    for latency in LATENCIES:
        end_to_end(latency, args.rounds, args.calls)
    in_process()


if __name__ == "__main__":
    main()
