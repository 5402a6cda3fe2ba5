"""Notices for the user (rebuilding the index, a skipped page): one `kb: ...` line each on stderr, never stdout."""

from __future__ import annotations

import sys
from collections.abc import Callable

from .terminal import without_controls

Notify = Callable[[str], None]
Progress = Callable[[int, int], None]  # (pages embedded so far, pages to embed)


def notify_stderr(message: str) -> None:
    print(f"kb: {without_controls(message)}", file=sys.stderr, flush=True)


def quiet(_message: str) -> None:
    """A Notify that says nothing (tests, and callers that report problems their own way)."""
