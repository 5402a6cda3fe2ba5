"""How kb's index behaves with a big synthetic library: flat (exact) vs IVF (kb's choice) vs faiss HNSW.

    python benchmarks/scale.py [--pages 1000,10000,100000] [--queries 200] [--hnsw-max 10000]

Embedding 100,000 real pages would take hours on 2 cores, so pages and vectors are synthetic, made from the
real library: synthetic page j takes its title, summary and symptoms from real page a and its prose from real
page b, and its chunk vectors are real chunk vectors of a and b mixed with Gaussian noise and normalized
(so pages form topics but no two are alike). Queries are the dev set's real queries (embedded by kb's model).
Per size it prints: build time (vectors -> index, incl. IVF k-means and BM25), file size, load time and peak
RSS of a fresh process that loads the index and answers the queries, query latency p50/p95 (everything after
the query embedding: dense search, BM25, fusion, top-k), and recall@10: the share of the exact (flat) top-10
pages that the approximate search also returns, dense-only and fused. HNSW (faiss IndexHNSWFlat, M=32) is
measured on chunk vectors only (kb has no HNSW path): build time, memory, latency, chunk recall@10.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb.chunks import chunk_page
from kb.index import read_index, write_index
from kb.indexing import FLAT_MAX_VECTORS, assemble_index
from kb.lexical import build_lexical
from kb.query import Query
from kb.search import Searcher


class Precomputed:
    """Stands in for the model: the query vectors were embedded once by kb's model."""

    def __init__(self, texts, vectors):
        self.vector_of = dict(zip(texts, vectors))
        self.dim = vectors.shape[1]

    def encode(self, texts):
        return np.stack([self.vector_of[t] for t in texts])


def synthetic_library(engine, n_pages: int, seed: int = 7):
    """(pages, chunks_of, vectors_of) of n_pages synthetic pages built from the real library."""
    rng = np.random.default_rng(seed)
    real = read_index(engine.index_file)
    pages = [engine.library.pages[s] for s in real.slugs]
    chunks_of_real = {p.slug: chunk_page(p) for p in pages}
    out_pages, chunks_of, vectors_of = [], {}, {}
    dim = real.vectors.shape[1]
    for j in range(n_pages):
        a, b = pages[rng.integers(len(pages))], pages[rng.integers(len(pages))]
        slug = f"s{j}-{a.slug}"[:60]
        page = dataclasses.replace(
            a,
            slug=slug,
            sections=b.sections,
            snippet=b.snippet,
            path=Path(f"/synthetic/{a.category}/{slug}.md"),
            content_hash=f"{j:064x}",
        )
        chunks = [dataclasses.replace(c, slug=slug) for c in chunks_of_real[a.slug]]
        va, vb = real.vectors_of(a.slug), real.vectors_of(b.slug)
        mix = 0.6 * va + 0.3 * vb[rng.integers(len(vb), size=len(va))]
        mix += rng.normal(scale=0.5 / np.sqrt(dim), size=(1, dim)) + rng.normal(scale=0.6 / np.sqrt(dim), size=va.shape)
        vectors_of[slug] = (mix / np.linalg.norm(mix, axis=1, keepdims=True)).astype(np.float32)
        chunks_of[slug] = chunks
        out_pages.append(page)
    return out_pages, chunks_of, vectors_of


def query_process(index_file: str, queries_file: str) -> None:
    """Run in a fresh process: load the index, answer every query, report latencies, rankings and peak RSS."""
    start = time.perf_counter()
    index = read_index(Path(index_file))
    load = time.perf_counter() - start
    data = np.load(queries_file)
    texts, vectors = [str(t) for t in data["texts"]], data["vectors"]
    pages = {}

    def page_of(slug):  # only the printed pages are looked up; a stub keeps this about the index
        return pages.setdefault(slug, _StubPage(slug))

    out = {"load_s": load}
    for layout in ("approximate", "exact"):
        if layout == "exact":
            index.ivf = None
        searcher = Searcher(index, Precomputed(texts, vectors), page_of)
        for mode in ("dense", "fused"):
            times, rankings = [], []
            for text in texts:
                t = time.perf_counter()
                answer = searcher.search(Query(text, text), k=10, mode=mode)
                times.append(time.perf_counter() - t)
                rankings.append([r.slug for r in answer.results])
            out[f"{layout}_{mode}"] = {"times": times, "rankings": rankings}
        out[f"{layout}_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that over from the parent across exec."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


@dataclasses.dataclass
class _StubPage:
    slug: str
    title: str = ""
    category: str = ""
    summary: str = ""
    snippet: str = ""
    path: str = ""
    related: tuple = ()
    try_first: str = ""


def recall(approx: list[list[str]], exact: list[list[str]]) -> float:
    return statistics.mean(len(set(a) & set(e)) / max(len(e), 1) for a, e in zip(approx, exact))


def hnsw_row(vectors, queries, exact_rows) -> str:
    import faiss

    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(vectors)
    build = time.perf_counter() - start
    hnsw.hnsw.efSearch = 128
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, rows = hnsw.search(q[None], 10)
        times.append(time.perf_counter() - t)
        found.append(rows[0])
    hit = statistics.mean(len(set(f) & set(e)) / 10 for f, e in zip(found, exact_rows))
    with tempfile.TemporaryDirectory() as folder:  # what a new `kb ask` process would pay to load the graph
        faiss.write_index(hnsw, f"{folder}/hnsw.faiss")
        size = os.path.getsize(f"{folder}/hnsw.faiss")
        start = time.perf_counter()
        faiss.read_index(f"{folder}/hnsw.faiss")
        load = time.perf_counter() - start
    return (
        f"{build:.1f} s | {size / 2**20:.0f} MB | {1000 * load:.0f} ms | {1000 * statistics.median(times):.2f} ms "
        f"| {hit:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-max", type=int, default=10000, help="largest page count to build HNSW for")
    parser.add_argument("--flat-max", type=int, default=FLAT_MAX_VECTORS, help="IVF above this many vectors")
    parser.add_argument("--query-process", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_process:
        return query_process(*args.query_process)

    import kb
    from kb.evaluate import load_cases

    engine = kb.Engine(notify=lambda _m: None)
    engine.build_index()
    cases = [c for c in load_cases(REPO / "tests" / "eval" / "queries.yaml") if c.expect][: args.queries]
    texts = [c.query for c in cases]
    query_vectors = engine.embedder.encode(texts)
    work = Path(tempfile.mkdtemp(prefix="kb-scale-"))
    np.savez(work / "queries.npz", texts=np.array(texts), vectors=query_vectors)
    print(
        f"kb scale benchmark: {os.cpu_count()} cores, {len(texts)} real queries, synthetic pages "
        f"(IVF above {args.flat_max:,} vectors)\n"
    )
    print(
        "| pages | vectors | search | build | file | load | peak RSS | p50 | p95 | recall@10 dense | recall@10 fused "
        "| exact p50 | exact RSS |"
    )
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    hnsw_rows = []
    for n_pages in [int(x) for x in args.pages.split(",")]:
        pages, chunks_of, vectors_of = synthetic_library(engine, n_pages)
        start = time.perf_counter()
        index = assemble_index(
            engine.settings.model,
            query_vectors.shape[1],
            pages,
            chunks_of,
            vectors_of,
            build_lexical(pages),
            flat_max=args.flat_max,
        )
        path = work / f"scale-{n_pages}.kbi"
        write_index(index, path)
        build = time.perf_counter() - start
        vectors = np.asarray(index.vectors)
        del index, chunks_of, vectors_of, pages
        proc = subprocess.run(
            [sys.executable, __file__, "--query-process", str(path), str(work / "queries.npz")],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(proc.stdout)
        approx, exact = result["approximate_fused"], result["exact_fused"]
        times = sorted(approx["times"])
        layout = "ivf" if len(vectors) > args.flat_max else "flat"
        print(
            f"| {n_pages:,} | {len(vectors):,} | {layout} | {build:.1f} s | {path.stat().st_size / 2**20:.0f} MB "
            f"| {1000 * result['load_s']:.1f} ms | {result['approximate_rss_mb']:.0f} MB "
            f"| {1000 * statistics.median(times):.1f} ms | {1000 * times[int(0.95 * (len(times) - 1))]:.1f} ms "
            f"| {recall(result['approximate_dense']['rankings'], result['exact_dense']['rankings']):.3f} "
            f"| {recall(approx['rankings'], exact['rankings']):.3f} "
            f"| {1000 * statistics.median(exact['times']):.1f} ms | {result['exact_rss_mb']:.0f} MB |",
            flush=True,
        )
        if n_pages <= args.hnsw_max:
            exact_rows = [np.argsort(-(vectors @ q))[:10] for q in query_vectors]
            hnsw_rows.append(f"| {n_pages:,} | {len(vectors):,} | {hnsw_row(vectors, query_vectors, exact_rows)} |")
        path.unlink()
    if hnsw_rows:
        print("\nfaiss HNSW (M=32, efConstruction=80, efSearch=128) on the same chunk vectors, in-process:\n")
        print("| pages | vectors | build | index file | load (read_index) | p50 (chunk top-10) | chunk recall@10 |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        print("\n".join(hnsw_rows))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
