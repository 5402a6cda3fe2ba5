"""Shared fixtures and the two test tiers.

Fast tier (`python -m pytest -m "not slow"`, under a minute): the logic, with a small deterministic embedder
(tests/fakes.py) in `fake_engine`. Slow tier: everything that needs the real thing: the real model (`engine`,
loaded once per session; kb.model caches it per process), real processes of `kb`, every page's snippet, the docs
site in Chromium, the editors. A test is slow when it uses `engine` or `fresh_home`, or its module says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONCEPTS = REPO / "concepts"


@pytest.fixture(scope="session", autouse=True)
def kb_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("kb-home")
    os.environ["KB_HOME"] = str(home)
    os.environ.pop("KB_CONCEPTS", None)
    os.environ.pop("KB_MODEL", None)
    return home


def pytest_collection_modifyitems(config, items):
    for item in items:
        if {"engine", "fresh_home"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def fake_engine(tmp_path_factory):
    """The built-in pages, indexed with tests/fakes.py's HashEmbedder in a home of its own (no model)."""
    import kb

    from fakes import HashEmbedder

    eng = kb.Engine(home=tmp_path_factory.mktemp("fake-home"), embedder=HashEmbedder(), notify=lambda _m: None)
    eng.build_index()
    return eng


@pytest.fixture(scope="session")
def engine(kb_home):
    import kb

    eng = kb.Engine()
    eng.build_index()
    return eng


@pytest.fixture
def fresh_home(tmp_path, kb_home, engine) -> Path:
    """A new KB_HOME that already has the session's model export (hard links) and a copy of its index, so a
    test can break or rebuild its own index without paying for the export or the built-in pages again."""
    home = tmp_path / "home"
    shutil.copytree(kb_home / "models", home / "models", copy_function=os.link, ignore=shutil.ignore_patterns("*.lock"))
    (home / "index").mkdir()
    for index_file in (kb_home / "index").glob("*.kbi"):
        shutil.copy2(index_file, home / "index" / index_file.name)
    return home


def run_kb(
    *args: str, input: bytes | str | None = None, env: dict | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the real `kb` command in a new process (as a user or an editor would)."""
    full_env = {**os.environ, **(env or {})}
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        input=data,
        capture_output=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=timeout,
        stdin=None if data is not None else subprocess.DEVNULL,
    )


PROSE = (
    "The loss curve rises after the first epoch while the training loss keeps falling, which tells you the "
    "model memorises the training set instead of learning the pattern. Lower the capacity, add data, or stop "
    "earlier; each of these narrows the gap between the two curves within a few epochs of training. "
)


def page_text(
    title: str = "Demo page",
    summary: str = "A demo page for tests.",
    symptoms: list[str] | None = None,
    related: list[str] | None = None,
    extra_front: str = "",
    snippet: str = "print('ok')",
) -> str:
    """A page in the documented format, with enough prose to pass `kb check`."""
    symptoms = symptoms or [f"demo symptom {i}" for i in range(6)]
    front = [f"title: {json.dumps(title)}", f"summary: {json.dumps(summary)}", "symptoms:"]
    front += [f"  - {json.dumps(s)}" for s in symptoms]
    front += ["aliases: [demo]", f"related: [{', '.join(related or [])}]", "sources:", "  - https://example.org"]
    sections = {
        "You see": PROSE,
        "Try this first": PROSE,
        "Why": PROSE,
        "Check": PROSE,
        "Fixes, in order": "1. " + PROSE,
        "Code to try": f"```python\n{snippet}\n```",
        "Not this?": "- Nothing else.",
        "Sources": "- [Example](https://example.org)",
    }
    body = "\n".join(f"## {name}\n\n{text}\n" for name, text in sections.items())
    return "---\n" + "\n".join(front) + (f"\n{extra_front}" if extra_front else "") + "\n---\n\n" + body


def write_page(root: Path, category: str, slug: str, text: str | None = None, **kwargs) -> Path:
    path = root / category / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else page_text(**kwargs), encoding="utf-8")
    return path
