"""How many real questions of each area kb answers first: the before/after measure for new pages (issues 16-18).

    python benchmarks/real_by_area.py                       # this checkout
    python benchmarks/real_by_area.py --kb-src /tmp/old      # another checkout's engine and pages (e.g. before)

A question belongs to an area when a page it expects lives in that area's folder (tests/eval/real.yaml labels;
questions with no answering page belong to none); it is answered first when kb's top result is one of the pages
it expects. Areas are the folders of the *current* pages, so an older checkout is measured on the same questions
even when their pages did not exist yet (it can then only be right through an older page the labels also accept).
Both halves are printed; quote the held-out one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
AREAS = {  # the issue that added pages to it -> folders
    "vision": ("vision",),
    "generative": ("generative",),
    "sequences": ("sequences",),
    "reinforcement-learning": ("reinforcement-learning",),
    "recommenders": ("recommenders",),
    "language-models": ("language-models",),
    "goals (hubs)": ("goals",),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb-src", type=Path, default=REPO, help="checkout whose kb package and concepts/ to use")
    args = parser.parse_args()
    folder_of = {p.stem: p.parent.name for p in (REPO / "concepts").rglob("*.md")}
    entries = yaml.safe_load((REPO / "tests" / "eval" / "real.yaml").read_text(encoding="utf-8"))

    sys.path.insert(0, str(args.kb_src.resolve()))
    for name in [m for m in sys.modules if m == "kb" or m.startswith("kb.")]:
        del sys.modules[name]
    import kb

    assert Path(kb.__file__).resolve().is_relative_to(args.kb_src.resolve()), kb.__file__
    engine = kb.Engine()
    print(f"kb from {args.kb_src} ({len(engine.library.pages)} pages)", file=sys.stderr)
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        if not entry["expect"]:
            continue
        answer = engine.ask(entry["q"], k=3)
        first = answer.results[0].slug if answer.results else None
        hit = first in entry["expect"]
        folders = {folder_of.get(slug) for slug in entry["expect"]}
        groups = [a for a, dirs in AREAS.items() if folders & set(dirs)]
        groups += ["all answerable", f"kind: {entry['kind']}"]
        for group in groups:
            for half in (entry["half"], "both"):
                tally[(group, half)][0] += 1
                tally[(group, half)][1] += hit
    print("| area | dev: answered first / questions | held-out | both |")
    print("| --- | ---: | ---: | ---: |")
    for group in [*AREAS, "kind: vague", "kind: specific", "all answerable"]:
        cells = []
        for half in ("dev", "heldout", "both"):
            n, hits = tally[(group, half)]
            cells.append(f"{hits} / {n} ({hits / n:.2f})" if n else "-")
        print(f"| {group} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
