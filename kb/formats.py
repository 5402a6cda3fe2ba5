"""One registry of output formats: (kind of thing, format name) -> a function that renders it to a string.

Kinds: "answer" (kb ask), "page" (kb show), "pages" (kb list), "eval" (kb eval), "diagnosis" (kb diagnose),
"explanation" (kb explain).
Formats: "text" (plain, fixed layout, for pipes), "markdown", "json", and "terminal" (rich, for a terminal).
Asking for a format a kind does not have is a usage error, never a silent fallback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .errors import UsageError

# The modules that register each kind's renderers, imported only when that kind is rendered.
PROVIDERS = {
    "answer": "kb.render",
    "page": "kb.render",
    "pages": "kb.render",
    "eval": "kb.render",
    "diagnosis": "kb.diagnosis.report",
    "explanation": "kb.explanation.report",
}
_RENDERERS: dict[tuple[str, str], Callable[..., str]] = {}


def renders(kind: str, *formats: str):
    """Register the decorated function as the renderer of `kind` in each of `formats`."""

    def register(function):
        for fmt in formats:
            _RENDERERS[(kind, fmt)] = function
        return function

    return register


def formats_of(kind: str) -> list[str]:
    importlib.import_module(PROVIDERS[kind])
    return [fmt for k, fmt in _RENDERERS if k == kind]


def render(kind: str, thing, fmt: str, **options) -> str:
    """`thing` (an Answer, a Page, ...) as a string in format `fmt`; UsageError for a format it does not have."""
    importlib.import_module(PROVIDERS[kind])
    renderer = _RENDERERS.get((kind, fmt))
    if renderer is None:
        choices = ", ".join(f for f in formats_of(kind) if f != "terminal")
        raise UsageError(f"--format {fmt}: not a format here (choose {choices})")
    return renderer(thing, **options)
