"""What kb keeps under its home (KB_HOME): an inventory for `kb cache`, pruning of what is stale, and clearing.

kb writes only these: index files (one per set of concept directories, `index/*.kbi`), the model's ONNX export
(`models/`), the site's build caches (`site-build/`) and two small records. Clearing removes exactly those, never
anything else a user keeps in the same folder.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

STALE_TEMP_SECONDS = 3600  # a temporary file this old belongs to a process that died (a crash, a kill -9)
UNUSED_INDEX_DAYS = 30  # an index not used this long is for a --concepts set that is gone (kb.indexing.mark_used)
KB_FILES = ("trusted-model.json", "overrides-seen.json")
KB_FOLDERS = ("index", "models", "site-build")


@dataclass(frozen=True)
class Entry:
    kind: str  # "index", "model", "site", "record", "temporary"
    path: Path
    bytes: int
    last_used: float  # mtime, seconds since the epoch
    about: str  # what it is for


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _temporary(path: Path) -> bool:
    return path.name.startswith(".") and (path.name.endswith(".tmp") or path.name.startswith(".export-"))


def inventory(home: Path) -> list[Entry]:
    """Everything kb keeps under `home`, biggest first within each kind."""
    from .index import CorruptIndex, read_index

    entries: list[Entry] = []
    index_dir, models = home / "index", home / "models"
    for path in sorted(index_dir.glob("*.kbi")) + sorted(index_dir.glob(".*.tmp")):
        stat = path.stat()
        if _temporary(path):
            entries.append(Entry("temporary", path, stat.st_size, stat.st_mtime, "left by an interrupted build"))
            continue
        try:
            index = read_index(path)
            about = f"{len(index)} pages from {', '.join(index.concept_dirs) or 'unknown folders'}"
        except CorruptIndex:
            about = "unreadable (rebuilt on next use)"
        entries.append(Entry("index", path, stat.st_size, stat.st_mtime, about))
    if models.is_dir():
        for path in sorted(models.iterdir()):
            if path.suffix == ".lock":
                continue
            kind = "temporary" if _temporary(path) else "model"
            about = "a failed export, not retried" if path.suffix == ".failed" else "the model's ONNX export"
            entries.append(Entry(kind, path, _size(path), path.stat().st_mtime, about))
    site = home / "site-build"
    if site.is_dir():
        entries.append(Entry("site", site, _size(site), site.stat().st_mtime, "the docs site's model and npm packages"))
    for name in KB_FILES:
        path = home / name
        if path.is_file():
            entries.append(Entry("record", path, path.stat().st_size, path.stat().st_mtime, "a small record"))
    return entries


def prune(home: Path, keep: set[Path] = frozenset(), now: float | None = None) -> list[Path]:
    """Remove what is stale: temporary files of builds that died, and index files unused for UNUSED_INDEX_DAYS
    (other than those in `keep`). Returns what was removed."""
    now = time.time() if now is None else now
    removed = []
    for entry in inventory(home):
        age = now - entry.last_used
        stale_temp = entry.kind == "temporary" and age > STALE_TEMP_SECONDS
        stale_index = entry.kind == "index" and age > UNUSED_INDEX_DAYS * 86400 and entry.path not in keep
        if stale_temp or stale_index:
            _remove(entry.path)
            Path(str(entry.path) + ".lock").unlink(missing_ok=True)
            removed.append(entry.path)
    return removed


def clear(home: Path) -> list[Path]:
    """Remove everything kb keeps under `home` (the next query rebuilds what it needs)."""
    removed = []
    for name in (*KB_FOLDERS, *KB_FILES):
        path = home / name
        if path.exists():
            _remove(path)
            removed.append(path)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
