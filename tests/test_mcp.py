"""`kb mcp` end to end with the MCP SDK's own client over stdio."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = pytest.mark.slow  # see conftest: the real thing


def _payload(result) -> dict:
    if getattr(result, "structured_content", None):
        return result.structured_content
    return json.loads(result.content[0].text)


async def _session_run(check):
    params = StdioServerParameters(command=sys.executable, args=["-m", "kb", "mcp"], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await check(session)


def test_mcp_server_lists_and_answers_tools_and_rejects_bad_arguments(engine):
    async def check(session):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {"ask", "show", "explain"}
        assert tools["ask"].input_schema["required"] == ["query"]
        assert tools["ask"].input_schema["properties"]["k"]["maximum"] == 20

        answer = await session.call_tool("ask", {"query": "RuntimeError: CUDA out of memory", "k": 2})
        assert not answer.is_error
        data = _payload(answer)
        assert data["confident"] is True and len(data["results"]) == 2
        best = data["results"][0]
        assert best["slug"] == "cuda-out-of-memory" and best["snippet"] and best["path"].endswith(".md")
        assert best["try_first"]

        page = await session.call_tool("show", {"slug": "nan-loss"})
        assert not page.is_error and _payload(page)["markdown"].startswith("# ")

        for name, arguments, message in [
            ("show", {"slug": "nan-los"}, "did you mean nan-loss"),
            ("ask", {"query": "   "}, "empty query"),
            ("ask", {"query": "x", "k": 0}, ""),
            ("ask", {}, ""),
        ]:
            bad = await session.call_tool(name, arguments)
            assert bad.is_error, (name, arguments)
            assert message in bad.content[0].text

        again = await session.call_tool("ask", {"query": "loss is nan"})  # the server survived the bad calls
        assert _payload(again)["results"][0]["slug"] == "nan-loss"

    anyio.run(_session_run, check)


def test_mcp_explain_reads_the_code_it_is_given(engine):
    async def check(session):
        code = "import torch\nopt = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-4)\n"
        result = await session.call_tool("explain", {"code": code, "name": "train.py"})
        assert not result.is_error
        data = _payload(result)
        assert data["version"] == 1 and data["file"] == "train.py"
        assert [k["kind"] for k in data["knobs"]] == ["optimizer", "learning_rate", "weight_decay"]
        assert data["mistakes"][0]["id"] == "adam-weight-decay" and data["start"][0]["kind"] == "learning_rate"
        for arguments, message in [({"code": "# just a comment\n"}, "not Python"), ({"code": ""}, "")]:
            bad = await session.call_tool("explain", arguments)
            assert bad.is_error and message in bad.content[0].text

    anyio.run(_session_run, check)
