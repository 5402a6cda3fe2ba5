"""Where things live: the index home, the concept directories, the embedding model name."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .pages import builtin_concepts_dir

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PROJECT_DIR = ".kb/concepts"  # a project's own pages, found by walking up from the working directory


def kb_home() -> Path:
    """KB_HOME, else the user cache dir (e.g. ~/.cache/kb)."""
    if os.environ.get("KB_HOME"):
        return Path(os.environ["KB_HOME"]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kb", appauthor=False))


def model_name() -> str:
    return os.environ.get("KB_MODEL", "").strip() or DEFAULT_MODEL


def project_concepts(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / PROJECT_DIR
        if candidate.is_dir():
            return candidate
    return None


@dataclass(frozen=True)
class Settings:
    """Everything a query depends on. Later concept dirs override earlier ones by slug."""

    concept_dirs: tuple[tuple[Path, str], ...]
    home: Path = field(default_factory=kb_home)
    model: str = field(default_factory=model_name)


def settings(
    extra_dirs: list[Path] | tuple[Path, ...] = (),
    builtin: bool = True,
    home: Path | None = None,
    model: str | None = None,
) -> Settings:
    """The concept directories in override order (built-in, KB_CONCEPTS, the project's .kb/concepts, `extra_dirs`),
    and the home and model (given, else from the environment)."""
    dirs: list[tuple[Path, str]] = []
    if builtin:
        dirs.append((builtin_concepts_dir(), "built-in"))
    for entry in os.environ.get("KB_CONCEPTS", "").split(os.pathsep):
        if entry.strip():
            dirs.append((Path(entry).expanduser(), entry))
    project = project_concepts()
    if project is not None:
        dirs.append((project, str(project)))
    for directory in extra_dirs:
        dirs.append((Path(directory).expanduser(), str(directory)))
    unique: dict[Path, tuple[Path, str]] = {}
    for path, origin in dirs:
        unique.setdefault(path.resolve(), (path, origin))
    return Settings(
        concept_dirs=tuple(unique.values()),
        home=Path(home).expanduser() if home else kb_home(),
        model=model or model_name(),
    )
