"""`kb check`: lint pages against the format in CONTRIBUTING.md, and optionally run their snippets."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .pages import Library, Problem, builtin_concepts_dir, load_library, page_files
from .warm_python import WarmPython, single_thread_env

SNIPPET_TIMEOUT_S = 60


@dataclass(frozen=True)
class SnippetRun:
    slug: str
    ok: bool
    seconds: float
    output: str


def check_paths(paths: list[Path]) -> list[Problem]:
    """Every problem in the pages under `paths` (files or concept directories), fatal or not."""
    files: list[Path] = []
    dirs: list[Path] = []
    for path in paths:
        if path.is_dir():
            dirs.append(path)
            files.extend(page_files(path))
        else:
            files.append(path)
    problems: list[Problem] = []
    # Links and duplicate slugs are checked across every page found, so a single file can be checked against the
    # library around it; the built-in pages come first, so a project's pages may link to them (as kb ask reads
    # them: built-in, then the project's own).
    roots = dirs or sorted({f.parent.parent for f in files})
    builtin = builtin_concepts_dir()
    if builtin.is_dir() and builtin.resolve() not in {r.resolve() for r in roots}:
        roots = [builtin, *roots]
    library: Library = load_library([(root, str(root)) for root in roots])
    wanted = {f.resolve() for f in files}
    wanted_dirs = [d.resolve() for d in dirs]
    seen = set()
    for problem in library.problems:
        key = (str(problem.path), problem.line, problem.message)
        where = problem.path.resolve()
        if (where in wanted or any(where == d or d in where.parents for d in wanted_dirs)) and key not in seen:
            seen.add(key)
            problems.append(problem)
    return problems


def run_snippet(code: str, slug: str = "snippet", timeout: float = SNIPPET_TIMEOUT_S) -> SnippetRun:
    """Run a snippet in a fresh interpreter inside an empty temporary directory."""
    with tempfile.TemporaryDirectory(prefix=f"kb-{slug}-") as tmp:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=single_thread_env(),
            )
        except subprocess.TimeoutExpired:
            return SnippetRun(slug, False, time.perf_counter() - start, f"timed out after {timeout:.0f} s")
        seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    return SnippetRun(slug, done.returncode == 0, seconds, output)


def run_snippets(
    pages, jobs: int | None = None, timeout: float = SNIPPET_TIMEOUT_S, warm: bool = True
) -> dict[str, SnippetRun]:
    """Every page's snippet, `jobs` at a time (default: one per core), each in its own single-threaded interpreter;
    slug -> SnippetRun. Snippets are independent, so running them side by side keeps `kb check --run` and the test
    suite short as the library grows. With `warm`, each worker forks its snippets' interpreters from one that has
    already imported torch and scikit-learn (kb.warm_python; about 0.7x the time, benchmarks/snippet_speed.py); a
    snippet runs in a fresh interpreter whenever no warm one is available (no fork() on Windows)."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = jobs or max(1, os.cpu_count() or 1)
    todo = [p for p in pages if p.snippet.strip()]
    idle: queue.SimpleQueue = queue.SimpleQueue()  # warm interpreters not in use; at most one per worker exists

    def run(page) -> SnippetRun:
        try:
            interpreter = idle.get_nowait()
        except queue.Empty:
            interpreter = WarmPython() if warm and len(todo) > 1 and hasattr(os, "fork") else None
        try:
            result = interpreter.run(page.snippet, page.slug, timeout) if interpreter else None
        finally:
            idle.put(interpreter)
        if result is None:
            return run_snippet(page.snippet, page.slug, timeout)
        ok, seconds, output = result
        return SnippetRun(page.slug, ok, seconds, output)

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            runs = list(pool.map(run, todo))
    finally:
        while not idle.empty():
            interpreter = idle.get_nowait()
            if interpreter:
                interpreter.close()
    return {page.slug: run for page, run in zip(todo, runs)}
