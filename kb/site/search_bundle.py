"""The docs site's semantic search: everything its web worker (kb/site/web/worker.js) needs, built from kb's own index.

The worker ranks exactly as `kb ask` does because it gets the same chunk vectors and BM25 weights from the same
index file, and the same model: the CLI's own ONNX export, quantized smaller for the browser by kb.quantize
(cosine to the CLI's embedding >= 0.999, checked at build time). JavaScript comes from npm at build time (exact
versions in kb/site/web/package-lock.json), bundled by esbuild; nothing third-party is committed. Every runtime
file gets a content-hashed name, so browsers may cache it forever.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import KbError
from .layout import page_url

WEB_DIR = Path(__file__).parent / "web"
QUANTIZED_FORMAT = 1  # bump when the quantization recipe changes: cached web models are rebuilt
MIN_WEB_COSINE = 0.999
RESULTS_SHOWN = 10  # results the site lists (the CLI prints 3; the ranking is the same)


class SiteBuildError(KbError):
    exit_code = 4


@dataclass
class SearchBundle:
    """Files to publish under ASSET_DIR (name -> bytes) and the names the page template needs."""

    files: dict[str, bytes]
    worker: str  # the worker script's file name
    shim: str  # iframe-worker shim for file:// (Material's own search there)
    manifest: dict[str, str]  # what the worker loads: key (meta, arrays, model, ...) -> file name in `files`
    modules: Path  # the npm packages it was built with


def hashed(name: str, data: bytes) -> str:
    stem, dot, ext = name.partition(".")
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{dot}{ext}"


def build_search_bundle(engine, cache_dir: Path, notify=lambda m: None) -> SearchBundle:
    engine.build_index()
    index = engine.searcher.index
    library = engine.library
    export_folder = _onnx_export_folder(engine)
    files: dict[str, bytes] = {}
    manifest: dict[str, str] = {}

    def add(key: str, name: str, data: bytes) -> None:
        name = hashed(name, data)
        files[name] = data
        manifest[key] = name

    meta, arrays = export_index(index, library, export_folder)
    add("arrays", "index.bin", arrays)
    add("meta", "index.json", json.dumps(meta, separators=(",", ":")).encode())
    add("model", "model.onnx", quantized_model(export_folder, cache_dir / "models", notify))
    tokenizer, tokenizer_config = web_tokenizer(export_folder, meta["model"]["max_seq_length"])
    add("tokenizer", "tokenizer.json", tokenizer)
    add("tokenizer_config", "tokenizer_config.json", tokenizer_config)
    modules = npm_modules(cache_dir / "npm", notify)
    add(
        "wasm",
        "ort-wasm-simd-threaded.wasm",
        (modules / "onnxruntime-web" / "dist" / "ort-wasm-simd-threaded.wasm").read_bytes(),
    )
    worker = bundle_worker(modules, manifest)
    worker_name = hashed("search.js", worker)
    files[worker_name] = worker
    shim = (modules / "iframe-worker" / "shim" / "index.js").read_bytes()
    shim_name = hashed("iframe-worker.js", shim)
    files[shim_name] = shim
    return SearchBundle(files, worker_name, shim_name, manifest, modules)


def _onnx_export_folder(engine) -> Path:
    backend = engine.embedder.backend
    folder = getattr(backend, "folder", None)
    if folder is None:
        raise SiteBuildError(
            f"the site's search needs the ONNX export of the model, and {engine.settings.model} "
            f"could not be exported (see the notice above)"
        )
    return Path(folder)


def export_index(index, library, export_folder: Path) -> tuple[dict, bytes]:
    """Chunk vectors, chunk -> page, BM25 weights and the ranking constants, as the worker reads them."""
    from .. import search
    from ..exact import EXACT_WINDOW, exact_keys
    from ..lexical import TOKEN_RE, bm25_tokens, page_text_for_bm25
    from ..spelling import MIN_LENGTH

    slugs = [slug for slug in index.slugs if slug in library.pages]  # index order: ties break as in kb ask
    position = {slug: i for i, slug in enumerate(slugs)}
    page_of_chunk = np.asarray(index.page_of_chunk)
    rows = [row for row in range(len(index.vectors)) if index.slugs[page_of_chunk[row]] in position]
    chunks = [index.chunk(row) for row in rows]
    vectors = np.asarray(index.vectors[rows], dtype=np.float32)
    chunk_page = np.array([position[chunk.slug] for chunk in chunks], dtype=np.int32)
    lexical = index.lexical
    # BM25 columns are per page in the index's own page order; re-map page numbers to ours
    lexical_pages = np.array([position.get(s, -1) for s in lexical.slugs], dtype=np.int32)
    bm25_indices = lexical_pages[np.asarray(lexical.indices, dtype=np.int64)].astype(np.int32)
    # every word form in the pages -> its Snowball stem as Python computes it (the worker's own stemmer is a
    # fallback for words no page contains, which cannot score anyway unless they share a stem)
    words: set[str] = set()
    for slug in slugs:
        words.update(TOKEN_RE.findall(page_text_for_bm25(library.pages[slug]).lower()))
    words = sorted(words - lexical.stopwords)
    stems = dict(zip(words, bm25_tokens(" ".join(words), lexical.stopwords)))
    equal, contained = [], []  # exact matches (kb.index.ExactIndex): [key, page number]
    for number, slug in enumerate(slugs):
        keys_equal, keys_contained = exact_keys(library.pages[slug])
        equal += [[key, number] for key in sorted(keys_equal)]
        contained += [[key, number] for key in sorted(keys_contained)]
    parts: list[bytes] = []
    arrays: dict[str, dict] = {}
    offset = 0
    for name, array in [
        ("vectors", vectors),
        ("chunk_page", chunk_page),
        ("bm25_data", np.asarray(lexical.data, np.float32)),
        ("bm25_indices", bm25_indices),
        ("bm25_indptr", np.asarray(lexical.indptr, np.int32)),
    ]:
        data = np.ascontiguousarray(array).tobytes()
        arrays[name] = {"offset": offset, "length": int(array.size)}
        parts.append(data)
        offset += len(data)
    model_config = json.loads((export_folder / "kb-model.json").read_text())
    meta = {
        "version": 1,
        "model": {
            "name": model_config["model"],
            "max_seq_length": model_config["max_seq_length"],
            "pooling": model_config["pooling"],
            "dim": int(vectors.shape[1]),
        },
        "ranking": {
            "lexical_weight": search.LEXICAL_WEIGHT,
            "dense_top": search.DENSE_TOP,
            "confident_score": search.CONFIDENT_SCORE,
            "exact_bonus": search.EXACT_BONUS,
            "exact_window": EXACT_WINDOW,
            "results": RESULTS_SHOWN,
            "model": second_stage(index.model),
        },
        "exact": {"equal": equal, "contained": contained},
        "pages": [
            {
                "slug": s,
                "title": library.pages[s].title,
                "summary": library.pages[s].summary,
                "category": library.pages[s].category,
                "url": page_url(library.pages[s]),
            }
            for s in slugs
        ],
        "chunks": [{"kind": c.kind, "label": c.label if c.kind != "title" else ""} for c in chunks],
        "lexical": {"vocab": lexical.vocab, "stopwords": sorted(lexical.stopwords), "stems": stems},
        "spelling": (
            {"targets": index.spelling.targets, "known": sorted(index.spelling.known), "min_length": MIN_LENGTH}
            if index.spelling is not None
            else None
        ),
        "arrays": arrays,
    }
    return meta, b"".join(parts)


def second_stage(embedding_model: str) -> dict | None:
    """kb's fitted reranker and calibrator (kb/ranking.json) as the worker applies them, or None (the first stage
    ranks alone, as in kb ask: see kb.rerank.model_for)."""
    from .. import rerank

    model = rerank.model_for(embedding_model)
    if model is None:
        return None
    return {**model.to_dict(), "candidates": rerank.CANDIDATES, "hub_category": rerank.HUB_CATEGORY}


# --- the model ---------------------------------------------------------------------------------------------------


def quantized_model(export_folder: Path, cache: Path, notify) -> bytes:
    config = (export_folder / "kb-model.json").read_bytes()
    key = hashlib.sha256(f"{QUANTIZED_FORMAT}|".encode() + config + (export_folder / "model.onnx").read_bytes())
    target = cache / f"web-{key.hexdigest()[:16]}.onnx"
    if target.is_file():
        return target.read_bytes()
    from ..quantize import web_model

    notify("quantizing the model for the site's search (once)")
    try:
        data = web_model(export_folder)
    except ImportError as exc:
        raise SiteBuildError(str(exc)) from None
    worst = embedding_cosine(export_folder, data)
    if worst < MIN_WEB_COSINE:  # the browser must embed like the CLI, or the site would rank differently
        raise SiteBuildError(f"the quantized model embeds differently from the full one (cosine {worst:.4f})")
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, target)
    return data


def web_tokenizer(export_folder: Path, max_seq_length: int) -> tuple[bytes, bytes]:
    """tokenizer.json with sentence-transformers' truncation (the hub file says 128) and no padding."""
    spec = json.loads((export_folder / "tokenizer.json").read_text())
    spec["truncation"] = {"direction": "Right", "max_length": max_seq_length, "strategy": "LongestFirst", "stride": 0}
    spec["padding"] = None
    config = {"model_max_length": max_seq_length}
    return json.dumps(spec, separators=(",", ":")).encode(), json.dumps(config).encode()


def embedding_cosine(export_folder: Path, data: bytes) -> float:
    """The worst cosine, over the probe sentences, between the model `data` and the export it was made from."""
    from ..onnx_model import PROBES, OnnxEmbedder

    cosine = OnnxEmbedder(export_folder, model=data).encode(PROBES) * OnnxEmbedder(export_folder).encode(PROBES)
    return float(cosine.sum(axis=1).min())


# --- JavaScript ---------------------------------------------------------------------------------------------------


def npm_modules(cache: Path, notify) -> Path:
    """`npm ci` from kb/site/web's lock file into a cache keyed by that lock file; returns its node_modules."""
    lock = (WEB_DIR / "package-lock.json").read_bytes()
    target = cache / hashlib.sha256(lock).hexdigest()[:16]
    from filelock import FileLock

    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=900):  # two builds at once: one installs, the other waits
        if not (target / ".complete").is_file():
            _npm_ci(target, notify)
    return target / "node_modules"


def _npm_ci(target: Path, notify) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SiteBuildError("building the site's search needs Node.js and npm (https://nodejs.org); not found on PATH")
    notify("installing the search worker's npm packages from kb/site/web/package-lock.json (once)")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(WEB_DIR / name, target / name)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=target,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SiteBuildError(f"npm ci failed in {target}: {(done.stderr or done.stdout).strip()[-300:]}")
    (target / ".complete").write_text("ok\n")


def bundle_worker(modules: Path, manifest: dict[str, str]) -> bytes:
    """worker.js and what it imports (ranking.js, the npm packages) as one minified browser script."""
    return bundle(
        modules,
        WEB_DIR / "worker.js",
        [
            "--format=iife",
            "--minify",
            "--platform=browser",
            "--target=es2020",
            "--legal-comments=none",
            f"--define:KB_MANIFEST={json.dumps(manifest)}",
            # onnxruntime-web locates its files from import.meta.url; in a classic worker that is the worker's URL
            "--define:import.meta.url=self.location.href",
        ],
    )


def bundle(modules: Path, entry: Path, options: list[str]) -> bytes:
    """esbuild `entry` (beside a copy of kb/site/web's own modules, so `./ranking.js` resolves) with the npm
    packages in `modules`."""
    esbuild = modules / ".bin" / "esbuild"
    with tempfile.TemporaryDirectory(dir=modules.parent) as tmp:  # beside node_modules, so imports resolve
        for source in [*WEB_DIR.glob("*.js"), entry]:
            shutil.copy(source, Path(tmp) / source.name)
        out = Path(tmp) / "out.js"
        done = subprocess.run(
            [str(esbuild), str(Path(tmp) / entry.name), "--bundle", "--log-level=error", f"--outfile={out}", *options],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SiteBuildError(f"bundling {entry.name} failed: {done.stderr.strip()[-400:]}")
        return out.read_bytes()
