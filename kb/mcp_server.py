"""`kb mcp`: kb as a Model Context Protocol server over stdio, for coding agents.

Tools: `ask` (a question, error or log -> ranked pages with summary, snippet and path), `show` (slug -> page) and
`explain` (the code of a training script or notebook -> its knobs, likely mistakes and where to start).
stdout is the protocol channel, so every notice goes to stderr (as everywhere in kb). MCP clients start servers
with a minimal environment, so the settings that KB_HOME and KB_CONCEPTS give a shell come as arguments here.
Every error a client can cause gets an answer of one line: a tool error for bad arguments (no pydantic dump),
and a JSON-RPC parse error for a line that is not a message (the SDK would drop it, and the client would wait).
"""

from pathlib import Path
from typing import Annotated  # no `from __future__ import annotations`: the SDK evaluates tool signatures

from .errors import KbError, ModelError

MAX_ERROR_CHARS = 300  # what of a client's own text an error message repeats back


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def build_server(concepts=(), home: Path | None = None):
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
        from pydantic import Field, ValidationError
    except ImportError:
        raise ModelError("kb mcp needs the MCP SDK: pip install 'mcp>=2'") from None
    from .api import Engine
    from .prose import resolve_links
    from .render import page_markdown
    from .shapes import answer_json, page_dict

    class KbServer(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as exc:
                if not isinstance(exc.__cause__, ValidationError):
                    raise
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
                    for error in exc.__cause__.errors(include_url=False)
                )
                raise ToolError(_one_line(f"{name}: {problems}")) from None

    engine = Engine(concepts, home=home)
    server = KbServer(
        name="kb",
        instructions="kb explains why a machine learning model misbehaves. Call `ask` with the user's question, an "
        "error message or a training log excerpt; it returns the concept pages that explain it, best "
        "first, each with a runnable Python snippet. Call `show` with a slug for the whole page.",
    )

    @server.tool(
        description="Find the concept pages that explain an ML training problem: a question ('val loss "
        "going up'), an error message or traceback, or a log excerpt. Returns pages best first "
        "with summary, what matched, 'Try this first', the snippet and the file path; "
        "confident=false means no page clearly matches; corrections lists typos read as "
        "other words."
    )
    def ask(
        query: Annotated[
            str,
            Field(
                description="The question, error message, traceback or log excerpt.",
                min_length=1,
                max_length=10_000_000,
            ),
        ],
        k: Annotated[int, Field(description="How many pages to return.", ge=1, le=20)] = 3,
    ) -> dict:
        try:
            answer = engine.ask(query, k=k)
        except KbError as exc:
            raise ToolError(_one_line(exc)) from None
        return answer_json(answer, try_first=True)

    @server.tool(description="Return one concept page by slug (e.g. 'nan-loss'), as Markdown plus its fields.")
    def show(slug: Annotated[str, Field(description="The page slug, as returned by `ask`.", min_length=1)]) -> dict:
        try:
            page = engine.page(slug)
        except KbError as exc:
            raise ToolError(_one_line(exc)) from None
        return {**page_dict(page), "markdown": resolve_links(page_markdown(page), page.category)}

    from .explanation import MAX_NOTEBOOK_BYTES
    from .shapes import explanation_json

    @server.tool(
        description="Read a training script or notebook without running it (give the code itself, not a path): "
        "its knobs (optimizer, learning rate, batch size, epochs, loss, dropout, augmentation, ...: each with "
        "line, value, the concept page and one sentence from it on what changing it does), likely mistakes "
        "(line, evidence, why, page) and the 2-3 knobs to try first."
    )
    def explain(
        code: Annotated[
            str,
            Field(
                description="The Python source of a script, or a notebook's .ipynb JSON.",
                min_length=1,
                max_length=MAX_NOTEBOOK_BYTES,
            ),
        ],
        name: Annotated[str, Field(description="A file name to show in the answer.", max_length=500)] = "<code>",
    ) -> dict:
        try:
            result = engine.explain_text(code, name=name)
        except KbError as exc:
            raise ToolError(_one_line(exc)) from None
        return explanation_json(result)

    return server


def serve(concepts=(), home: Path | None = None) -> None:
    import logging

    import anyio

    logging.getLogger("mcp").setLevel(logging.WARNING)  # the SDK logs every rejected call as a multi-line box

    anyio.run(_serve, build_server(concepts, home))


async def _serve(server) -> None:
    """The SDK's stdio transport, with one addition: a line that is not a JSON-RPC message is answered with a
    parse error (JSON-RPC 2.0, code -32700, id null) instead of being dropped without a word."""
    import anyio
    import mcp_types as types
    from mcp.server.stdio import stdio_server
    from mcp.shared._context_streams import create_context_streams
    from mcp.shared.message import SessionMessage

    lowlevel = server._lowlevel_server  # as MCPServer.run_stdio_async drives it
    async with stdio_server() as (read_stream, write_stream):
        messages, readable = create_context_streams[SessionMessage | Exception](0)

        async def answer_unreadable_lines() -> None:
            async with messages:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        error = types.ErrorData(code=-32700, message="Parse error: not a JSON-RPC message")
                        await write_stream.send(SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=None, error=error)))
                    else:
                        await messages.send(item)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(answer_unreadable_lines)
            await lowlevel.run(readable, write_stream, lowlevel.create_initialization_options())
            tasks.cancel_scope.cancel()
