"""Read a script or a notebook into parsed cells with Python's `ast` (nothing is run), bounded in size.

A `.py` file is one cell; a notebook gives one cell per code cell, numbered like nbformat (0-based index in the
notebook's `cells` list, all cells counted). IPython lines (`%magic`, `!shell`, `x = !cmd`, `obj?`) are blanked
before parsing, keeping every line number; a `%%writefile name.py` cell is read as the Python it writes. A notebook
cell that does not parse is reported and skipped; in a script, a few lines that do not parse (Python 2 `print x`,
`async=True` as a keyword) are blanked and reported, and a file that needs more than that is not read as Python.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError

MAX_CODE_BYTES = 2 * 1024 * 1024  # the code kb parses; a 1,000-line training script is about 40 KB
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # a notebook file, outputs (images) included
MAX_BLANKED_SHARE = 0.2  # of a script's non-blank lines; beyond it the file is not read as Python
MAX_BLANKED = 12  # and never more lines than this: each one costs a parse of the whole file
NOTEBOOK_SUFFIX = ".ipynb"

IPYTHON_LINE = re.compile(r"^\s*(?:[%!?]|[\w.]+\s*=\s*[%!]|[\w.\[\]()'\"]+\?\??\s*$)")
KEEP_CELL_MAGICS = {"time", "timeit", "capture", "prun", "memit"}  # the rest of such a cell is Python
# "%%writefile model_configuration/v1.py" then "%run -i model_configuration/v1.py": the cell's body is the code the
# notebook runs (a style books and courses use to build a script cell by cell)
WRITES_PYTHON = re.compile(r"^\s*%%(?:writefile|file)\b(?:\s+-a)?\s+\S+\.py\s*$")


class NotPython(UsageError):
    """The input is not Python code kb can read (exit code 2)."""


@dataclass
class Cell:
    index: int | None  # the notebook cell (0-based, all cells counted); None for a script
    text: str  # the code as parsed: IPython lines and skipped lines blanked, line numbers kept
    tree: ast.Module


@dataclass
class Source:
    name: str  # the file name, or "<stdin>"
    kind: str  # "script" or "notebook"
    cells: list[Cell]
    notes: list[str] = field(default_factory=list)  # what was skipped, one sentence each


def read_file(path: str | Path, name: str | None = None) -> Source:
    """A `.py` script or an `.ipynb` notebook; "-" reads stdin (a notebook is recognised by its JSON). `name` is
    what the answer calls it (default: the path, or "<stdin>")."""
    if str(path) == "-":
        label = name or "<stdin>"
        return read_bytes(_read_bounded(sys.stdin.buffer, label), label)
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give a .py script or an .ipynb notebook")
    with open(path, "rb") as handle:
        data = _read_bounded(handle, str(path), notebook=path.suffix.lower() == NOTEBOOK_SUFFIX)
    return read_bytes(data, name or str(path), notebook=path.suffix.lower() == NOTEBOOK_SUFFIX or None)


def _read_bounded(handle, name: str, notebook: bool = True) -> bytes:
    """At most the limit plus one byte, so a 200 MB file or an endless pipe stops with a message, not a hang."""
    limit = MAX_NOTEBOOK_BYTES if notebook else MAX_CODE_BYTES
    data = handle.read(limit + 1)
    if len(data) > limit:
        what = "notebooks" if notebook else "scripts"
        raise UsageError(f"{name}: too big: kb explain reads {what} up to {limit // (1024 * 1024)} MB")
    return data


def read_bytes(data: bytes, name: str = "<stdin>", notebook: bool | None = None) -> Source:
    """Bytes of a script or notebook; `notebook=None` decides from the content (JSON with a `cells` list)."""
    if b"\x00" in data[:8192]:
        raise NotPython(f"{name}: binary data, not a Python script or notebook")
    return read_text(data.decode("utf-8-sig", errors="replace"), name, notebook)


def read_text(text: str, name: str = "<stdin>", notebook: bool | None = None) -> Source:
    """Code text (or a notebook's JSON text) into parsed cells."""
    if not text.strip():
        raise NotPython(f"{name}: empty: no code to explain")
    if notebook is None:
        notebook = text.lstrip().startswith("{") and _looks_like_notebook(text)
    if notebook:
        return _read_notebook(text, name)
    if len(text) > MAX_CODE_BYTES:
        raise UsageError(f"{name}: too big: kb explain reads scripts up to {MAX_CODE_BYTES // (1024 * 1024)} MB")
    code = _newlines(text)
    tree, blanked, code, prints = parse_script(code, name)
    notes = [f"{prints} Python 2 print statement(s) read as expressions"] if prints else []
    notes += [f"line {n} is not Python 3 and was skipped" for n in blanked]
    return Source(name, "script", [Cell(None, code, tree)], notes)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_notebook(text: str) -> bool:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and ("cells" in data or "worksheets" in data)


def _placeholder(line: str) -> str:
    """A line of valid Python with the same indentation: a block opener stays a block opener of its kind
    (`except Exception, e:` -> `except:`, so the `try` keeps its handler)."""
    indent = line[: len(line) - len(line.lstrip())]
    code = line.split("#", 1)[0].strip()
    if not code.endswith(":"):
        return indent + "pass"
    keyword = code.split()[0].rstrip(":") if code.split() else ""
    opener = {"except": "except:", "else": "else:", "finally": "finally:", "elif": "elif True:", "try": "try:"}
    return indent + opener.get(keyword, "if True:")


PY2_PRINT_ANYWHERE = re.compile(r"^[ \t]*print[ \t]+[^(=\s.,)\]]", re.M)
PY2_PRINT = re.compile(r"^(\s*)print\b(?!\s*\()(?!\s*[=.,)\]])\s*(?:>>\s*)?")


def python2_prints(code: str) -> tuple[str, int]:
    """Python 2 `print x, y` statements as expression statements (`_ = x, y`), line for line, so an old research
    script parses; (the code, how many lines changed). Python 3 code has no such line (`print (x)` and `print(x)`
    are left alone), so nothing changes for it."""
    lines = code.split("\n")
    changed = 0
    for i, line in enumerate(lines):
        fixed = PY2_PRINT.sub(
            lambda m: f"{m.group(1)}_ = " if m.string[m.end() :].strip() else f"{m.group(1)}print", line
        )
        if fixed != line:
            lines[i], changed = fixed, changed + 1
    return "\n".join(lines), changed


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def parse_script(code: str, name: str) -> tuple[ast.Module, list[int], str, int]:
    """Parse, reading Python 2 print statements as expressions and blanking the few other lines that do not parse;
    (tree, blanked line numbers, the code as parsed, how many print statements were read)."""
    prints = 0
    if PY2_PRINT_ANYWHERE.search(code) and not _parses(code):  # a cheap look first; a docstring may say "print x"
        code, prints = python2_prints(code)
    lines = code.split("\n")
    budget = min(MAX_BLANKED, max(1, int(MAX_BLANKED_SHARE * sum(1 for line in lines if line.strip()))))
    blanked: list[int] = []
    while True:
        text = "\n".join(lines)
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            line = exc.lineno
            if line is None or line in blanked or not 1 <= line <= len(lines) or len(blanked) >= budget:
                where = f"line {line}: {exc.msg}" if line else exc.msg
                if blanked:
                    message = f"{name}: not Python 3: more than {len(blanked)} lines do not parse ({where})"
                    raise NotPython(message) from None
                raise NotPython(f"{name}: not Python ({where})") from None
            blanked.append(line)
            lines[line - 1] = _placeholder(lines[line - 1])
            continue
        except (ValueError, RecursionError, MemoryError) as exc:
            raise NotPython(f"{name}: not Python ({type(exc).__name__}: {str(exc)[:80]})") from None
        if not _has_statements(tree, set(blanked)):
            raise NotPython(f"{name}: not Python (no statements: only bare values, like a CSV or JSON file)")
        return tree, blanked, text, prints


def _has_statements(tree: ast.Module, blanked: set[int]) -> bool:
    """Code does something: an import, a definition, an assignment or a call, not just values (CSV rows, JSON)."""
    for stmt in tree.body:
        if stmt.lineno in blanked:
            continue
        if not isinstance(stmt, ast.Expr):
            return True
        if any(isinstance(node, ast.Call) for node in ast.walk(stmt.value)):
            return True
    return False


def _cell_source(cell: dict) -> str:
    source = cell.get("source", cell.get("input", ""))
    return "".join(source) if isinstance(source, list) else str(source)


def _blank_ipython(code: str) -> str | None:
    """IPython lines blanked (line numbers kept); None for a cell in another language (%%bash, %%html, ...)."""
    lines = code.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].strip() != "%%" else ""
        if magic not in KEEP_CELL_MAGICS and not WRITES_PYTHON.match(lines[first]):
            return None
        lines[first] = ""
    return "\n".join(_placeholder(line) if IPYTHON_LINE.search(line) else line for line in lines)


def _read_notebook(text: str, name: str) -> Source:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotPython(f"{name}: not a notebook (invalid JSON: {str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise NotPython(f"{name}: not a notebook (no 'cells' list)")
    cells = data.get("cells")
    if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
        cells = [c for sheet in data["worksheets"] if isinstance(sheet, dict) for c in sheet.get("cells", [])]
    if not isinstance(cells, list):
        raise NotPython(f"{name}: not a notebook (no 'cells' list)")
    language = _language(data)
    if language and language != "python":
        raise NotPython(f"{name}: a {language} notebook, not Python")
    parsed, notes, code_cells, total = [], [], 0, 0
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code_cells += 1
        code = _newlines(_cell_source(cell))
        total += len(code)
        if total > MAX_CODE_BYTES:
            raise UsageError(f"{name}: too big: kb explain reads up to {MAX_CODE_BYTES // (1024 * 1024)} MB of code")
        cleaned = _blank_ipython(code)
        if cleaned is None:
            notes.append(f"cell {index} is a {code.lstrip().split(maxsplit=1)[0]} cell, not Python; skipped")
            continue
        try:
            tree, parsed_text = _parse_cell(code, cleaned)
        except SyntaxError as exc:
            notes.append(f"cell {index} does not parse (line {exc.lineno}: {exc.msg}); skipped")
            continue
        except (ValueError, RecursionError, MemoryError) as exc:
            notes.append(f"cell {index} does not parse ({type(exc).__name__}); skipped")
            continue
        parsed.append(Cell(index, parsed_text, tree))
    if code_cells and not parsed:
        raise NotPython(f"{name}: no code cell parses as Python ({notes[0] if notes else 'no code'})")
    return Source(name, "notebook", parsed, notes)


def _parse_cell(code: str, cleaned: str) -> tuple[ast.Module, str]:
    """The cell as written when it parses (a line starting with `%` can continue an expression), else cleaned."""
    if cleaned != code:
        try:
            return ast.parse(code), code
        except SyntaxError:
            pass
    return ast.parse(cleaned), cleaned


def _language(data: dict) -> str:
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    for key, field_name in (("kernelspec", "language"), ("language_info", "name")):
        value = meta.get(key, {}).get(field_name) if isinstance(meta.get(key), dict) else None
        if isinstance(value, str) and value:
            return value.lower()
    return ""
