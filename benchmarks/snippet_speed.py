"""How long the snippet tier takes with warm interpreters (kb.warm_python) against fresh ones, alternated in one run.

    python benchmarks/snippet_speed.py [--pages N] [--rounds R]

Prints the wall time of each round and the median per mode; whole-process timings are noisy on a shared machine,
so compare the two modes within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.check import run_snippets  # noqa: E402
from kb.pages import builtin_concepts_dir, load_library  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24, help="how many pages (every n-th of the library)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per mode, alternated")
    args = parser.parse_args()
    pages = sorted(load_library([(builtin_concepts_dir(), "built-in")]).pages.values(), key=lambda p: p.slug)
    pages = pages[:: max(1, len(pages) // args.pages)][: args.pages]
    times: dict[str, list[float]] = {"warm": [], "fresh": []}
    for round_ in range(args.rounds):
        for mode in ("warm", "fresh"):
            start = time.perf_counter()
            runs = run_snippets(pages, warm=mode == "warm", timeout=300)
            seconds = time.perf_counter() - start
            failed = [slug for slug, run in runs.items() if not run.ok]
            times[mode].append(seconds)
            print(f"round {round_ + 1} {mode:<5} {len(runs)} snippets in {seconds:6.1f} s  failed: {failed or 'none'}")
    warm, fresh = statistics.median(times["warm"]), statistics.median(times["fresh"])
    print(f"median: warm {warm:.1f} s, fresh {fresh:.1f} s, warm/fresh {warm / fresh:.2f}")


if __name__ == "__main__":
    main()
