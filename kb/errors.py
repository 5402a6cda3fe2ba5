"""Errors a user can cause. The CLI turns each into one line on stderr and its exit code (see README)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_NO_MATCH = 1  # `kb ask`: no confident match; `kb check`: problems found
EXIT_USAGE = 2  # bad arguments, empty query (typer uses 2 for usage errors too)
EXIT_NOT_FOUND = 3  # `kb show` / `kb snippet`: no such page
EXIT_ENVIRONMENT = 4  # model missing or untrusted, index unusable, no pages


class KbError(Exception):
    """An error with a message meant for the user and the exit code the CLI returns for it."""

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(KbError):
    exit_code = EXIT_USAGE


class PageNotFound(KbError):
    exit_code = EXIT_NOT_FOUND


class ModelError(KbError):
    exit_code = EXIT_ENVIRONMENT
