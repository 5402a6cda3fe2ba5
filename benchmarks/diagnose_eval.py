"""How often `kb diagnose` agrees with the blind expert labels of the real-log corpus, per half.

    python benchmarks/diagnose_eval.py [--processes] [--show] [--half dev|held-out|all]

The corpus is tests/data/real-logs (161 logs from 141 public repositories, in nine batches; labels.yaml holds each
log's blind label: the main reading, the advice an expert calls wrong for it, the pages). A verdict is right when
its main finding matches the label's `main` and none of the advice it gives is in the label's `wrong_advice`. Each
batch is split by repository into a dev half (rules are designed and tuned on it) and a held-out half (only
measured); the later batches arrived after the rules were written and were measured once before any change.

labels-second.yaml is a second expert's blind reading of every log: the benchmark also prints how often the two
experts agree on the main reading (the ceiling for any agreement figure), and how often kb agrees where they do.

It also counts "train longer" verdicts on runs whose validation stopped improving (the labels that call
train-longer wrong; must be 0) and on runs with no validation curve at all (also 0: kb cannot know).

By default every log is diagnosed in this process (kb.diagnosis, no engine); --processes runs the real
`kb diagnose --json` command per log instead (what tests/test_diagnose_real.py does).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CORPUS = REPO / "tests" / "data" / "real-logs"

# The held-out half, fixed before any rule was changed: within each log format, repositories in sha256 order of
# their name, each to the half with fewer logs so far (the two large repositories first). 20 logs per half.
HELD_OUT_REPOS = frozenset(
    {
        "WarrenZhu050413/torchLoom",
        "4hmetcakmak/BraTS2020CapstoneProject",
        "KyotoSunshine/CNN-for-handwritten-kanji",
        "AmineEchraibi/BrainCNN",
        "MohamedYoussef06/ai201-project3-takemeter",
        "0xVolt/toxicity-detector-model",
        "4prince8/Object_Detection_Yolov10",
        "aaghaazkhan/law-llm",
        "Akobabs/supply-chain-attack-detection",
        "20070316lbw-netizen/ant-transformer",
        "07Yatin/anemia2",
        "Copernicus-project/ETCI-2021-Competition-on-Flood-Detection",
    }
)

# A finding id of kb diagnose -> the word the labels use for the same reading.
LABEL_OF = {
    "not-enough-data": "too-little-data",
    "restarted-runs": "restarted-runs",
    "metric-gap": "imbalance-metric-gap",
    "not-learning": "not-learning",
    "divergence": "diverging",
}

# Advice the code before issue 19 gave, read from each finding's text (it had no advice field): used only when a
# finding carries no "advice" of its own.
LEGACY_ADVICE = {
    "still-improving": ["train-longer"],  # "Still improving at the end: train longer"
    "overfitting": ["early-stop", "add-regularization"],  # "the best checkpoint is there"; weight-decay pages
    "divergence": ["lower-lr"],  # "steps that were far too large"
    "noisy": ["lower-lr"],  # "a learning rate that is too high late in training"
}


def split_of(repo: str) -> str:
    """The half of a first-batch log's repository."""
    return "held-out" if repo in HELD_OUT_REPOS else "dev"


LATER_BATCHES = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11)  # each collected and labelled blind after the rules of its time


def half_of(label: dict) -> str:
    """First batch: HELD_OUT_REPOS. Later batches (`batch: 2` to `9`, added after the rules were written): the
    sha256 of the repository name, even -> dev, odd -> held-out, fixed before kb was run on them."""
    if label.get("batch") in LATER_BATCHES:
        return "dev" if int(hashlib.sha256(label["repo"].encode()).hexdigest(), 16) % 2 == 0 else "held-out"
    return split_of(label["repo"])


def load_labels() -> list[dict]:
    import yaml

    return yaml.safe_load((CORPUS / "labels.yaml").read_text(encoding="utf-8"))


def stratified_split(labels: list[dict]) -> frozenset[str]:
    """How HELD_OUT_REPOS was drawn from the first batch (a test checks the constant still equals it)."""
    logs: dict[str, int] = {}
    formats: dict[str, list[str]] = {}  # a repository counts under the format of its first log
    for label in labels:
        if label.get("batch") in LATER_BATCHES:
            continue
        logs[label["repo"]] = logs.get(label["repo"], 0) + 1
        if logs[label["repo"]] == 1:
            formats.setdefault(label["format"], []).append(label["repo"])
    count = {"dev": 0, "held-out": 0}
    held = set()
    for fmt in sorted(formats, key=lambda f: -sum(logs[r] for r in formats[f])):
        for repo in sorted(formats[fmt], key=lambda r: (-logs[r], hashlib.sha256(r.encode()).hexdigest())):
            half = "dev" if count["dev"] <= count["held-out"] else "held-out"
            count[half] += logs[repo]
            if half == "held-out":
                held.add(repo)
    return frozenset(held)


# ---------------------------------------------------------------- running kb


def diagnose_in_process(path: Path) -> dict | None:
    """The diagnosis as `kb diagnose --json` prints it, or None when kb cannot read the log."""
    from kb.diagnosis import diagnose_file
    from kb.errors import KbError

    try:
        return diagnose_file(path).to_dict()
    except KbError:
        return None


def diagnose_in_a_process(path: Path) -> dict | None:
    done = subprocess.run(
        [sys.executable, "-m", "kb", "diagnose", "--json", str(path)], capture_output=True, timeout=300
    )
    if done.returncode == 2 and done.stderr.startswith(b"kb: "):
        return None  # an unreadable log: one line on stderr
    if done.returncode not in (0, 1):
        raise RuntimeError(f"kb diagnose {path.name} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout)


# ---------------------------------------------------------------- scoring


def label_word(finding: dict) -> str:
    if finding["id"] == "not-decreasing":
        return "stuck-at-chance" if (finding.get("data") or {}).get("chance_classes") else "not-learning"
    if finding["id"] == "not-learning" and finding["title"].startswith("Stuck at chance"):
        return "stuck-at-chance"  # a constant validation accuracy: the majority-class share, the chance baseline
    return LABEL_OF.get(finding["id"], finding["id"])


def main_reading(result: dict | None) -> str:
    """The verdict's main finding in the labels' words: "unreadable", "healthy" or the headline finding."""
    if result is None:
        return "unreadable"
    findings = result["findings"]
    if "main" in result:  # the headline kb names itself
        main = result["main"]
        return "healthy" if main == "healthy" else label_word(next(f for f in findings if f["id"] == main))
    problems = [f for f in findings if f["severity"] == "problem"]  # before: "N problems found:" or "healthy"
    return label_word(problems[0]) if problems else "healthy"


def advice_given(result: dict | None) -> set[str]:
    if result is None:
        return set()
    given = set()
    for finding in result["findings"]:
        given |= set(finding["advice"] if "advice" in finding else LEGACY_ADVICE.get(finding["id"], ()))
    return given


def score(labels: list[dict], results: dict[str, dict | None]) -> list[dict]:
    rows = []
    for label in labels:
        result = results[label["file"]]
        main = main_reading(result)
        wrong = sorted(advice_given(result) & set(label["wrong_advice"]))
        rows.append(
            {
                "file": label["file"],
                "half": half_of(label),
                "batch": label.get("batch", 1),
                "label": label["main"],
                "kb": main,
                "wrong_advice": wrong,
                "right": main == label["main"] and not wrong,
                "train_longer": "train-longer" in advice_given(result),
                "val_stopped": "train-longer" in label["wrong_advice"],
                "no_val": result is not None and result["columns"]["val"] is None,
            }
        )
    return rows


def summarize(rows: list[dict], batch: int | None = None) -> dict:
    """Agreement per half (and "all"), over every log or over one batch."""
    out = {}
    rows = [r for r in rows if batch in (None, r["batch"])]
    for half in ("dev", "held-out", "all"):
        part = [r for r in rows if half in ("all", r["half"])]
        right = sum(r["right"] for r in part)
        out[half] = {
            "right": right,
            "logs": len(part),
            "agreement": round(right / len(part), 3) if part else None,
            "train_longer_when_val_stopped": sum(r["train_longer"] and r["val_stopped"] for r in part),
            "train_longer_without_val": sum(r["train_longer"] and r["no_val"] for r in part),
        }
    return out


def load_second_labels() -> dict[str, dict]:
    """labels-second.yaml: a second expert's blind reading of every log, by file name."""
    import yaml

    entries = yaml.safe_load((CORPUS / "labels-second.yaml").read_text(encoding="utf-8"))
    return {entry["file"]: entry for entry in entries}


def labeller_agreement(rows: list[dict], second: dict[str, dict]) -> dict:
    """Per half: how often the two experts name the same main reading (the ceiling any rule set can be held to),
    how often kb's main reading is either expert's, and how often it is the one both share where they agree."""
    out = {}
    rows = [r for r in rows if r["file"] in second]  # the logs both experts read
    for half in ("dev", "held-out", "all"):
        part = [r for r in rows if half in ("all", r["half"])]
        shared = [r for r in part if second[r["file"]]["main"] == r["label"]]
        out[half] = {
            "logs": len(part),
            "experts_agree": len(shared),
            "kb_matches_either": sum(r["kb"] in (r["label"], second[r["file"]]["main"]) for r in part),
            "kb_on_shared": sum(r["kb"] == r["label"] for r in shared),
        }
    return out


def evaluate(processes: bool = False) -> tuple[list[dict], dict]:
    labels = load_labels()
    run = diagnose_in_a_process if processes else diagnose_in_process
    with ThreadPoolExecutor(max_workers=2 if processes else 1) as pool:
        results = dict(zip((lab["file"] for lab in labels), pool.map(run, (CORPUS / lab["file"] for lab in labels))))
    rows = score(labels, results)
    return rows, summarize(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", action="store_true", help="run `kb diagnose --json` per log")
    parser.add_argument("--show", action="store_true", help="print every log's verdict beside its label")
    parser.add_argument("--half", choices=("dev", "held-out", "all"), default="all", help="which logs to list")
    args = parser.parse_args()
    rows, summary = evaluate(args.processes)
    if args.show:
        for r in rows:
            if args.half in ("all", r["half"]):
                mark = "ok " if r["right"] else "BAD"
                wrong = f"  wrong advice: {', '.join(r['wrong_advice'])}" if r["wrong_advice"] else ""
                print(f"{mark} {r['half']:<8} {r['file']:<36} label {r['label']:<22} kb {r['kb']}{wrong}")
        print()
    batches = [(f"batch {b}", summarize(rows, b)) for b in sorted({r["batch"] for r in rows})]
    for title, part in (*batches, ("all", summary)):
        for half, s in part.items():
            print(
                f"{title:<8} {half:<8} agreement {s['right']}/{s['logs']} = {s['agreement']:.0%}; train longer when "
                f"validation stopped improving: {s['train_longer_when_val_stopped']}; without validation: "
                f"{s['train_longer_without_val']}"
            )
    print()
    for half, s in labeller_agreement(rows, load_second_labels()).items():
        n, shared = s["logs"], s["experts_agree"]
        print(
            f"second expert {half:<8} the two experts agree on {shared}/{n} = {shared / n:.0%}; kb's main reading is "
            f"either expert's on {s['kb_matches_either']}/{n} = {s['kb_matches_either'] / n:.0%}; where they agree, "
            f"kb agrees on {s['kb_on_shared']}/{shared} = {s['kb_on_shared'] / shared:.0%}"
        )


if __name__ == "__main__":
    main()
