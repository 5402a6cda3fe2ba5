"""Print kb's ranking quality stage by stage on the real-question set beside the self-written sets.

    python benchmarks/real_eval.py [--sets real-dev,real-heldout,self-dev,self-heldout] [--modes ...]

Stages (kb.search.Searcher.search modes): dense, lexical, fused (the first stage), reranked (the learned reranker,
first-stage confidence), calibrated (reranker + calibrated `confident`, kb's default). For each set: answerable
top-1 and top-3, how many answerable questions are answered "no confident match", and how many questions with no
answering page are. real-heldout and self-heldout are never used to fit or choose anything (train_ranker.py fits
on the dev halves only); they are the numbers to quote. real.yaml also reports vague vs specific questions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb.evaluate import load_cases  # noqa: E402

SETS = {
    "real-dev": (REPO / "tests" / "eval" / "real.yaml", {"half": "dev"}),
    "real-heldout": (REPO / "tests" / "eval" / "real.yaml", {"half": "heldout"}),
    "self-dev": (REPO / "tests" / "eval" / "queries.yaml", None),
    "self-heldout": (REPO / "tests" / "eval" / "holdout.yaml", None),
}
MODES = ("dense", "lexical", "fused", "reranked", "calibrated")


def measure(engine, cases, mode: str) -> dict:
    answerable = [c for c in cases if c.expect]
    unanswerable = [c for c in cases if not c.expect]
    top1 = top3 = refused = 0
    kinds: dict[str, list[bool]] = {}
    for case in answerable:
        answer = engine.ask(case.query, k=3, mode=mode)
        slugs = [r.slug for r in answer.results]
        hit = bool(slugs) and slugs[0] in case.expect
        top1 += hit
        top3 += bool(set(slugs) & set(case.expect))
        refused += not answer.confident
        if case.fields.get("kind"):
            kinds.setdefault(case.fields["kind"], []).append(hit)
    declined = sum(not engine.ask(c.query, k=3, mode=mode).confident for c in unanswerable)
    n = len(answerable) or 1
    return {
        "answerable": len(answerable),
        "top1": top1 / n,
        "top3": top3 / n,
        "refused": refused / n,
        "unanswerable": len(unanswerable),
        "declined": declined / len(unanswerable) if unanswerable else None,
        "kinds": {k: (len(v), sum(v) / len(v)) for k, v in kinds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--cold-runs", type=int, default=5, help="cold `kb ask` processes to time (0: none)")
    args = parser.parse_args()
    import kb

    engine = kb.Engine()
    engine.ask("warm up")
    print(
        "| set | stage | answerable | top-1 | top-3 | answerable refused | no answering page | declined | vague top-1 "
        "| specific top-1 |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.sets.split(","):
        path, where = SETS[name]
        cases = load_cases(path, where)
        for mode in args.modes.split(","):
            m = measure(engine, cases, mode)
            kinds = m["kinds"]
            vague = f"{kinds['vague'][1]:.3f} ({kinds['vague'][0]})" if "vague" in kinds else "-"
            specific = f"{kinds['specific'][1]:.3f} ({kinds['specific'][0]})" if "specific" in kinds else "-"
            declined = f"{m['declined']:.3f}" if m["declined"] is not None else "-"
            print(
                f"| {name} | {mode} | {m['answerable']} | {m['top1']:.3f} | {m['top3']:.3f} | {m['refused']:.3f} "
                f"| {m['unanswerable']} | {declined} | {vague} | {specific} |",
                flush=True,
            )
    if args.cold_runs:
        print(
            f"\ncold `kb ask 'val accuracy plateau'`: median {cold_ask_ms(args.cold_runs):.0f} ms "
            f"of {args.cold_runs} runs"
        )


def cold_ask_ms(runs: int) -> float:
    """Median wall time of a fresh `kb ask` process (index built), as a user meets it; benchmarks/bench.py has
    the full table with memory and the straightforward path beside it."""
    import statistics
    import subprocess
    import time

    times = []
    for _ in range(runs + 1):  # the first run warms the file cache and is not counted
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kb", "ask", "val accuracy plateau"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1000


if __name__ == "__main__":
    main()
