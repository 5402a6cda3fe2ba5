"""The code's layout: every module imports on its own, no import cycles, and the library never imports the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parent.parent / "kb"
# Entry points, not library: the command line, `python -m kb`, and the file mkdocs loads by path.
ENTRY_POINTS = {"kb.__main__", "kb.site.mkdocs_hooks"}  # and the kb.cli package, below


def is_entry_point(name: str) -> bool:
    return name in ENTRY_POINTS or name == "kb.cli" or name.startswith("kb.cli.")


MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(KB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(KB.rglob("*.py"))}


def imports_of(name: str, path: Path) -> set[str]:
    """The kb modules `name` imports anywhere in its body (top level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "kb"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "kb":
                continue
            for alias in node.names:  # `from . import render` imports the module kb.render
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def test_every_kb_import_names_a_real_module():
    """Imports inside functions run only when their command does; a wrong relative path must fail here instead."""
    broken = []
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                if target not in MODULES:
                    broken.append(f"{name}:{node.lineno}: from {'.' * node.level}{node.module or ''} -> {target}")
    assert broken == []


def test_every_module_imports_on_its_own():
    """Each in a fresh interpreter, so a module that only works after another was imported is caught."""
    from concurrent.futures import ThreadPoolExecutor

    def run(name):
        return name, subprocess.run(
            [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=120
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = {name: done.stderr[-1500:] for name, done in pool.map(run, MODULES) if done.returncode != 0}
    assert failed == {}


def test_the_library_never_imports_the_cli():
    offenders = {
        name: sorted(d for d in deps if is_entry_point(d))
        for name, deps in GRAPH.items()
        if not is_entry_point(name) and any(is_entry_point(d) for d in deps)
    }
    assert offenders == {}


def test_no_import_cycles():
    """A package's __init__ may re-export its own modules; any other cycle between kb modules is a design error."""

    def edges(name):
        return {
            d
            for d in GRAPH[name]
            if not (name.startswith(d + ".") and MODULES[d].name == "__init__.py")
            and not (d.startswith(name + ".") and MODULES[name].name == "__init__.py")
        }

    state: dict[str, int] = {}
    cycles = []

    def visit(name, stack):
        state[name] = 1
        for dep in sorted(edges(name)):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[name] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_every_module_says_its_job_in_its_first_sentence():
    for name, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 5, f"{name} has no opening docstring"


# Modules over MAX_LINES that are one concern which reads best whole (CONTRIBUTING "Where things live" says why).
ALLOWED_LONG = {"kb.diagnosis.rules"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES or name in ALLOWED_LONG, f"{name}: {lines} lines"
