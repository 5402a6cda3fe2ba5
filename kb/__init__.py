"""kb: just-in-time concept lookup for machine learning practitioners.

    import kb
    answer = kb.ask("val accuracy plateau")
    print(answer.best.title, answer.best.snippet)
"""
from __future__ import annotations

__version__ = "0.1.0"

from .api import Engine, ask, list_pages, show  # noqa: E402  (light: heavy imports happen on first query)
from .errors import KbError  # noqa: E402
from .pages import Page  # noqa: E402
from .search import Answer, Result  # noqa: E402

__all__ = ["Answer", "Engine", "KbError", "Page", "Result", "ask", "list_pages", "show", "__version__"]
