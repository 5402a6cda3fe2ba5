"""kb explain on the real training scripts of tests/data/real-scripts, against their blind labels: knob precision and
recall, mistakes found, false alarms and unlabelled minor points, per half (dev / held-out, split by repository)
and per framework; and the time to explain a 1,000-line script.

    python benchmarks/explain_eval.py            # the table (per half and framework, then per batch, in the
                                                 # order the blind batches arrived) and the timing
    python benchmarks/explain_eval.py --details  # also what the dev half missed or found unlabelled

How a knob counts is in tests/explain_scoring.py. Only the dev half's details are printed: the held-out half is
for measuring, not for looking at.
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
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import kb  # noqa: E402
from kb.explanation import explain_file  # noqa: E402

from explain_scoring import CORPUS, load_labels, summarize  # noqa: E402

# The 1,000-line script: five dev-half PyTorch scripts end to end (their `from __future__` lines dropped).
LONG_SCRIPT_PARTS = [
    "pytorchexamples-imagenet-fp16.py",
    "pytorchexamples-dcgan.py",
    "pytorchexamples-word-language-model.py",
    "pytorchexamples-vae.py",
    "pytorchexamples-mnist-train.py",
]


def explain_corpus(pages: dict) -> dict[str, dict]:
    return {entry["file"]: explain_file(CORPUS / entry["file"], pages).to_dict() for entry in load_labels()}


def long_script(directory: Path) -> Path:
    lines = []
    for name in LONG_SCRIPT_PARTS:
        text = (CORPUS / name).read_text(encoding="utf-8")
        lines += [line for line in text.splitlines() if not line.startswith("from __future__")]
    path = directory / "long_train.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timing(path: Path, pages: dict, runs: int) -> tuple[float, float]:
    """Median seconds: explain_file in this process, and `kb explain` as a new process (import, pages, render)."""
    in_process = []
    for _ in range(runs):
        start = time.perf_counter()
        explain_file(path, pages)
        in_process.append(time.perf_counter() - start)
    command = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kb", "explain", str(path)], capture_output=True, cwd=REPO, check=False)
        command.append(time.perf_counter() - start)
    return statistics.median(in_process), statistics.median(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--details", action="store_true", help="List the dev half's misses and unlabelled knobs.")
    parser.add_argument("--runs", type=int, default=7, help="Timing runs (median).")
    args = parser.parse_args()
    pages = kb.Engine(notify=lambda _message: None).library.pages
    table = summarize(explain_corpus(pages))
    print(
        f"{'half':<9} {'framework':<11} {'files':>5} {'knobs':>6} {'precision':>9} {'recall':>7} "
        f"{'+page':>6} {'mistakes':>9} {'false alarms':>12} {'minor':>5} {'start':>6}"
    )
    for name in ("dev", "held-out", "all"):
        for framework, tally in sorted(table[name].items(), key=lambda kv: (kv[0] != "all", kv[0])):
            print(
                f"{name:<9} {framework:<11} {tally.files:>5} {tally.labels:>6} {tally.precision:>9.3f} "
                f"{tally.recall:>7.3f} {tally.recall_with_page:>6.3f} "
                f"{f'{tally.mistake_labels_found}/{tally.mistake_labels}':>9} {tally.false_alarm_count:>12} "
                f"{len(tally.minor_unlabelled):>5} "
                f"{f'{tally.start_agreed}/{tally.start_labels}':>6}"
            )
    print(
        f"\n{'batch (half)':<21} {'files':>5} {'knobs':>6} {'precision':>9} {'recall':>7} {'+page':>6} {'mistakes':>9} "
        f"{'false alarms':>12} {'minor':>5}"
    )
    for name, tally in sorted(table["batch"].items(), key=lambda kv: int(kv[0].split()[1])):
        print(
            f"{name:<21} {tally.files:>5} {tally.labels:>6} {tally.precision:>9.3f} {tally.recall:>7.3f} "
            f"{tally.recall_with_page:>6.3f} {f'{tally.mistake_labels_found}/{tally.mistake_labels}':>9} "
            f"{tally.false_alarm_count:>12} {len(tally.minor_unlabelled):>5}"
        )
    if args.details:
        dev = table["dev"]["all"]
        for file, label in dev.misses:
            print(f"missed      {file}:{label['line']} {label['kind']} {label['value']}")
        for file, knob in dev.extras:
            print(f"unlabelled  {file}:{knob['line']} {knob['kind']} {knob['value']}")
        for file, mistake in dev.false_alarms:
            print(f"false alarm {file}:{mistake['line']} {mistake['id']}")
        for file, mistake in dev.minor_unlabelled:
            print(f"minor       {file}:{mistake['line']} {mistake['id']} (unlabelled)")
    with tempfile.TemporaryDirectory() as directory:
        path = long_script(Path(directory))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        inside, command = timing(path, pages, args.runs)
    print(
        f"\n{lines}-line script: explain_file {inside * 1000:.0f} ms, `kb explain` process {command * 1000:.0f} ms "
        f"(median of {args.runs})"
    )


if __name__ == "__main__":
    main()
