"""`kb mcp` and `kb site build`: kb served to coding agents and as a static docs site."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .common import (
    ConceptsOption,
    app,
    emit,
    handles_errors,
)


@app.command()
@handles_errors
def mcp(
    concepts: Optional[List[Path]] = ConceptsOption,
    home: Optional[Path] = typer.Option(
        None,
        "--home",
        metavar="DIR",
        help="kb's home folder for the index and the model export (default: KB_HOME, else the user cache folder). "
        "MCP clients start servers with a minimal environment: pass it here rather than relying on KB_HOME.",
    ),
):
    """Run a Model Context Protocol server on stdio (tools: ask, show, explain) for coding agents."""
    from ..mcp_server import serve

    serve(concepts or (), home=home)


site_app = typer.Typer(
    help="The docs site: every concept page, and a search box that answers like kb ask.", no_args_is_help=True
)
app.add_typer(site_app, name="site")


@site_app.command("build")
@handles_errors
def site_build(
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Output directory (default: site/ next to mkdocs.yml)."
    ),
    concepts: Optional[List[Path]] = ConceptsOption,
):
    """Build the static site (mkdocs build --strict); serve it with `python -m http.server -d site`."""
    from ..site.build import build_site

    site_dir = build_site(out, concepts=concepts or ())
    emit(f"{site_dir}\n")
