"""`kb site build`: mkdocs build --strict with kb's configuration, into a site directory."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from ..errors import KbError, UsageError

REPO = Path(__file__).resolve().parent.parent.parent
HOOKS = "kb/site/mkdocs_hooks.py"  # what kb's mkdocs.yml names; how find_config knows the file is kb's


def find_config(start: Path | None = None) -> Path:
    for folder in [Path(start or Path.cwd()).resolve(), *Path(start or Path.cwd()).resolve().parents, REPO]:
        candidate = folder / "mkdocs.yml"
        if candidate.is_file() and HOOKS in candidate.read_text(encoding="utf-8"):
            return candidate
    raise UsageError("no kb mkdocs.yml found here or in kb's source tree (the site is built from a kb checkout)")


def build_site(
    site_dir: Path | None = None,
    config_file: Path | None = None,
    strict: bool = True,
    concepts: list[Path] | tuple[Path, ...] = (),
) -> Path:
    """`mkdocs build --strict` with kb's configuration; returns the site directory. `concepts` are extra concept
    directories (as `kb ask --concepts`); the hooks read them from the loaded config (`extra.kb_concepts`)."""
    for directory in concepts:
        if not Path(directory).is_dir():
            raise UsageError(f"--concepts {directory}: no such directory")
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's banner about its successor, on every build
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    config_file = Path(config_file) if config_file else find_config()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="kb site: %(message)s")
    try:
        config = load_config(
            str(config_file), site_dir=str(Path(site_dir).resolve()) if site_dir else None, strict=strict
        )
        config.extra["kb_concepts"] = [str(Path(c).resolve()) for c in concepts]
        build(config)
    except KbError:
        raise
    except (Abort, ConfigurationError) as exc:
        raise KbError(f"site build failed: {exc}") from None
    except Exception as exc:  # a Markdown extension's error about a page: one line, not a traceback
        raise KbError(f"site build failed: {type(exc).__name__}: {exc}") from None
    return Path(config.site_dir)
