"""How often a second blind labeller agrees with real.yaml's labels on 200 dev questions, and how kb compares.

    python benchmarks/real_second.py

tests/eval/real-second.yaml holds the second labelling (see its header). Printed: for the questions real.yaml says
a page answers, how often the second labeller's first pick is one of real.yaml's pages (the human counterpart of
kb's top-1) and kb's top-1 on the same questions; for the questions real.yaml says no page answers, how often the
second labeller says none too (the counterpart of kb's declines) and how often kb declines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import kb  # noqa: E402
from kb.evaluate import load_cases  # noqa: E402


def main() -> None:
    second = yaml.safe_load((REPO / "tests" / "eval" / "real-second.yaml").read_text(encoding="utf-8"))
    cases = {c.fields["id"]: c for c in load_cases(REPO / "tests" / "eval" / "real.yaml", {"half": "dev"})}
    engine = kb.Engine(notify=lambda _message: None)
    answerable = [(e, cases[e["id"]]) for e in second if cases[e["id"]].expect]
    unanswerable = [(e, cases[e["id"]]) for e in second if not cases[e["id"]].expect]
    human_top1 = kb_top1 = kb_on_shared = shared = 0
    for entry, case in answerable:
        answer = engine.ask(case.query, k=3)
        first = answer.results[0].slug if answer.results else None
        agree = entry["best"] in case.expect
        human_top1 += agree
        kb_top1 += first in case.expect
        shared += agree
        kb_on_shared += agree and first in case.expect
    human_none = sum(entry["best"] == "none" for entry, _ in unanswerable)
    kb_declined = sum(not engine.ask(case.query, k=3).confident for _, case in unanswerable)
    n, m = len(answerable), len(unanswerable)
    print(f"{len(second)} dev questions labelled twice, blind; real.yaml: {n} answerable, {m} with no page")
    print(f"answerable: second labeller's first pick among real.yaml's pages {human_top1}/{n} = {human_top1 / n:.3f}")
    print(f"            kb's top-1 among real.yaml's pages             {kb_top1}/{n} = {kb_top1 / n:.3f}")
    rate = kb_on_shared / shared
    print(f"            kb's top-1 where the two labellers agree       {kb_on_shared}/{shared} = {rate:.3f}")
    print(f"no page:    second labeller says none too                  {human_none}/{m} = {human_none / m:.3f}")
    print(f"            kb declines (no confident match)               {kb_declined}/{m} = {kb_declined / m:.3f}")


if __name__ == "__main__":
    main()
