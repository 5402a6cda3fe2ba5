"""`kb mcp`: kb as a Model Context Protocol server over stdio, for coding agents.

Tools: `ask` (a question, error or log -> ranked pages with summary, snippet and path), `show` (slug -> page) and
`explain` (the code of a training script or notebook -> its knobs, likely mistakes and where to start).
stdout is the protocol channel, so every notice goes to stderr (as everywhere in kb).
"""

from typing import Annotated  # no `from __future__ import annotations`: the SDK evaluates tool signatures

from .errors import KbError, ModelError


def build_server(concepts=()):
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
        from pydantic import Field
    except ImportError:
        raise ModelError("kb mcp needs the MCP SDK: pip install 'mcp>=2'") from None
    from .api import Engine
    from .render import page_markdown
    from .shapes import answer_json, page_dict

    engine = Engine(concepts)
    server = MCPServer(
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
            raise ToolError(str(exc)) from None
        return answer_json(answer, try_first=True)

    @server.tool(description="Return one concept page by slug (e.g. 'nan-loss'), as Markdown plus its fields.")
    def show(slug: Annotated[str, Field(description="The page slug, as returned by `ask`.", min_length=1)]) -> dict:
        try:
            page = engine.page(slug)
        except KbError as exc:
            raise ToolError(str(exc)) from None
        return {**page_dict(page), "markdown": page_markdown(page)}

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
            raise ToolError(str(exc)) from None
        return explanation_json(result)

    return server


def serve(concepts=()) -> None:
    build_server(concepts).run("stdio")
