"""The docs site's search in headless Chromium: sizes, time to the first semantic answer, per-query latency, and
top-1 agreement with `kb ask` over the dev set (and the held-out set). Prints a table; not a test.

    python benchmarks/site_search.py [--site DIR] [--limit N]

Without --site it runs `kb site build` into a temporary directory first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from browser import SiteBrowser, search_box_queries, serve  # noqa: E402


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="queries per set (0 = all one-line queries)")
    args = parser.parse_args()
    site = args.site
    if site is None:
        site = Path(tempfile.mkdtemp()) / "site"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kb", "site", "build", "--out", str(site)], check=True, cwd=REPO)
        print(f"kb site build: {time.perf_counter() - started:.1f} s")

    from playwright.sync_api import sync_playwright

    import kb

    engine = kb.Engine()
    assets = site / "assets" / "kb"
    first_download = sum(p.stat().st_size for p in assets.iterdir() if not p.name.startswith("iframe-worker"))
    site_bytes = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    rows = [
        ("site size (all files)", f"{site_bytes / 1e6:.1f} MB"),
        ("first search downloads (worker, index, model, wasm, tokenizer)", f"{first_download / 1e6:.1f} MB"),
        *((f"  {p.name}", f"{p.stat().st_size / 1e6:.2f} MB") for p in sorted(assets.iterdir())),
    ]
    with sync_playwright() as playwright, serve(site) as origin, tempfile.TemporaryDirectory() as profile:
        browser = SiteBrowser(playwright, origin, Path(profile))
        browser.open("index.html")
        started = time.perf_counter()
        browser.type_query("val accuracy plateau")
        keyword = browser.wait_for("val accuracy plateau", mode="keyword")
        keyword_s = time.perf_counter() - started
        first = browser.wait_for("val accuracy plateau")
        first_s = time.perf_counter() - started
        rows += [
            ("first keystroke -> keyword results (worker)", f"{keyword['ms']:.0f} ms ({keyword_s:.2f} s end to end)"),
            (
                "first keystroke -> first semantic result",
                f"{first_s:.2f} s (model load {first['timings'].get('model_ms', 0) / 1000:.2f} s)",
            ),
        ]
        for name, file in [
            ("dev set", REPO / "tests/eval/queries.yaml"),
            ("held-out set", REPO / "tests/eval/holdout.yaml"),
        ]:
            if not file.is_file():
                continue
            queries = [entry["q"] for entry in search_box_queries(file)]
            if args.limit:
                queries = queries[: args.limit]
            agree, latencies, worker_ms, misses = 0, [], [], []
            for query in queries:
                t0 = time.perf_counter()
                browser.type_query(query)
                record = browser.wait_for(query)
                latencies.append((time.perf_counter() - t0) * 1000)
                worker_ms.append(record["ms"])
                cli = engine.ask(query, k=3).best.slug
                if record["slugs"][0] == cli:
                    agree += 1
                else:
                    misses.append((query, record["slugs"][:2], cli))
            rows += [
                (f"{name}: browser top-1 == kb ask top-1", f"{agree}/{len(queries)} ({agree / len(queries):.3f})"),
                (
                    f"{name}: per query in the worker: embed + rank (median / p95)",
                    f"{statistics.median(worker_ms):.0f} / {p95(worker_ms):.0f} ms",
                ),
                (
                    f"{name}: per query, keystroke -> answer (incl. {120} ms debounce; median / p95)",
                    f"{statistics.median(latencies):.0f} / {p95(latencies):.0f} ms",
                ),
            ]
            for query, browser_top, cli in misses[:10]:
                print(f"disagree: {query[:70]!r}: browser {browser_top}, kb ask {cli}")
        rows.append(("requests to other origins", str(len(browser.external))))
        browser.close()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  value")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
