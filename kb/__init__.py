"""kb: just-in-time concept lookup for machine learning practitioners.

import kb
answer = kb.ask("val accuracy plateau")
print(answer.best.title, answer.best.snippet)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import Engine, ask, diagnose, explain, list_pages, show  # noqa: E402  (light: heavy imports on first query)
from .errors import KbError  # noqa: E402
from .pages import Page  # noqa: E402
from .search import Answer, Result  # noqa: E402


def load_ipython_extension(ipython) -> None:
    """`%load_ext kb` in Jupyter, Colab or IPython: the `%kb` magic (see kb.notebook)."""
    from .notebook import load

    load(ipython)


def __getattr__(name: str):  # kb.Diagnosis, kb.Finding without importing numpy on `import kb`
    if name in ("Diagnosis", "Finding"):
        from . import diagnosis

        return getattr(diagnosis, name)
    raise AttributeError(f"module 'kb' has no attribute {name!r}")


__all__ = [
    "Answer",
    "Diagnosis",
    "Engine",
    "Finding",
    "KbError",
    "Page",
    "Result",
    "ask",
    "diagnose",
    "explain",
    "list_pages",
    "show",
    "__version__",
]
