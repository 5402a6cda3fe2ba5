"""`kb diagnose` on the logs people really have (slow tier): the 90 real logs of tests/data/real-logs, each
diagnosed by the real command in its own process and scored against its blind expert label
(benchmarks/diagnose_eval.py); `kb ask` on a piped real log; and a 200 MB CSV within generous bounds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import run_kb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import diagnose_eval  # noqa: E402
import diagnose_scale  # noqa: E402

pytestmark = pytest.mark.slow

# Measured with `python benchmarks/diagnose_eval.py --processes` when the rules were last changed (the dev half
# is where they were designed; the held-out half was only measured). A change that loses agreement fails here.
# Batch 1 (40 logs): dev 19/20, held-out 16/20; batch 2 (20 logs, added later): dev 7/10, held-out 5/10;
# batch 3 (14 logs): dev 1/4, held-out 4/10; batch 4 (16 logs, 2026-12-07, on arrival): dev 3/6, held-out 3/10;
# batch 5 (16 logs, 2026-12-07, third session, on arrival): dev 3/11, held-out 2/5; batch 6 (16 logs, after
# batch 5's changes, on arrival): dev 4/8, held-out 1/8; batch 7 (9 logs, after batch 6's): dev 2/4, held-out 4/5.
# Fourth session: Lightning EarlyStopping messages read as the monitored curve (kd_thesis, dev): dev 48; batch 8
# (14 logs, on arrival): dev 3/6, held-out 4/8; after the changes decided on its dev half: dev 53, held-out 42.
# Fifth session: batch 9 (16 logs, on arrival): dev 3/9, held-out 1/7; after the changes decided on its dev half
# (UTF-16 and bare-CR logs read; a detector's rising validation loss is advice while its mAP holds): dev 59, held-out 44.
# Sixth session: batch 10 (16 logs, on arrival): dev 2/5, held-out 6/11; after the change decided on its dev half
# (a loss flat at ~0 after falling 1000x gets no plateau and no "decay the learning rate"): dev 62, held-out 50.
# Seventh session: a detector's cls loss at 0 beside its box loss is a single-class dataset, and a validation accuracy
# constant at every evaluation is "stuck at chance" (dev 63); batch 11 (15 logs, on arrival): dev 2/10, held-out
# 3/5; after: dev 3/10, held-out 3/5; all: dev 66, held-out 53.
AGREEMENT = {"dev": 66, "held-out": 53}


@pytest.fixture(scope="module")
def evaluation():
    return diagnose_eval.evaluate(processes=True)


def test_the_held_out_half_is_the_one_drawn_by_format():
    labels = diagnose_eval.load_labels()
    assert diagnose_eval.stratified_split(labels) == diagnose_eval.HELD_OUT_REPOS
    halves: dict[int, list[str]] = {}
    for label in labels:  # the first batch carries no number
        halves.setdefault(label.get("batch", 1), []).append(diagnose_eval.half_of(label))
    split = {batch: (found.count("dev"), found.count("held-out")) for batch, found in halves.items()}
    assert split == {
        1: (20, 20),
        2: (10, 10),
        3: (4, 10),  # the hash split of 14 repositories
        4: (6, 10),  # ... and of 16
        5: (11, 5),  # ... and of 16 more
        6: (8, 8),  # ... and of 16 more
        7: (4, 5),  # ... and of 9 more
        8: (6, 8),  # ... and of 14 more
        9: (9, 7),  # ... and of 16 more
        10: (5, 11),  # ... and of 16 more
        11: (10, 5),  # ... and of 15 more
    }


def test_agreement_with_the_blind_labels(evaluation):
    rows, summary = evaluation
    wrong = [(r["file"], r["label"], r["kb"], r["wrong_advice"]) for r in rows if not r["right"]]
    for half, least in AGREEMENT.items():
        assert summary[half]["right"] >= least, (half, summary[half], wrong)


def test_never_train_longer_when_validation_stopped_improving_or_is_missing(evaluation):
    rows, summary = evaluation
    stopped = [r["file"] for r in rows if r["train_longer"] and r["val_stopped"]]
    # One known disagreement, measured and not tuned away (benchmarks/RESULTS.md): in the second batch's dev half
    # validation creeps down 6% over the last quarter (t = -2.3) where the labeller reads a plateau (a held-out one
    # went when runs under 6 points became "not enough data"). A change may remove it, never add one.
    assert set(stopped) <= {"FER-EfficientNet-training_history.json"}, stopped
    assert summary["all"]["train_longer_without_val"] == 0
    assert all(r["kb"] for r in rows)  # every log got a verdict (unreadable is one), never a crash


def test_kb_ask_on_a_piped_log_leads_with_the_page_kb_diagnose_names():
    path = diagnose_eval.CORPUS / "dental-yolov8-results.csv"
    diagnosed = run_kb("diagnose", "--json", str(path))
    asked = run_kb("ask", "--json", input=path.read_bytes())
    assert diagnosed.returncode == 1 and asked.returncode == 0
    diagnosis, answer = json.loads(diagnosed.stdout), json.loads(asked.stdout)
    assert diagnosis["main"] == "overfitting"
    assert answer["results"][0]["slug"] == diagnosis["top"]["slug"] == "overfitting"
    assert answer["results"][0]["matched"] == f"kb diagnose: {diagnosis['findings'][0]['title']}"


def test_a_200_mb_csv_answers_in_bounded_time_and_memory(tmp_path):
    path = tmp_path / "metrics.csv"
    diagnose_scale.write_log(path, 200)
    seconds, peak_mb, done = diagnose_scale.run(path)
    assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    result = json.loads(done.stdout)
    assert "binned" in " ".join(result["notes"]) and result["main"] in ("still-improving", "healthy")
    # measured: 14-24 s and ~590 MB on 2 shared cores; the bounds leave room for a slow machine
    assert seconds < 120 and peak_mb < 1024, (seconds, peak_mb)


def test_the_second_reading_covers_every_log_in_the_labels_words():
    first = {label["file"]: label for label in diagnose_eval.load_labels()}
    second = diagnose_eval.load_second_labels()
    assert set(second) == set(first)
    words = {label["main"] for label in first.values()} | {"diverging", "spikes"}
    advice = {a for label in first.values() for a in label["wrong_advice"]}
    for name, entry in second.items():
        assert entry["main"] in words and set(entry["also"]) <= words | {"overfitting"}, name
        assert set(entry["wrong_advice"]) <= advice and entry["confidence"] in ("high", "medium", "low"), name


def test_the_two_experts_agree_more_often_than_kb_does(evaluation):
    """The ceiling: two blind experts agree on the main reading of 155 of the 192 logs. kb's agreement where they
    agree is measured and may only rise (benchmarks/RESULTS.md)."""
    rows, _ = evaluation
    agreement = diagnose_eval.labeller_agreement(rows, diagnose_eval.load_second_labels())
    assert agreement["all"]["experts_agree"] == 155
    assert agreement["dev"]["kb_on_shared"] >= 57 and agreement["held-out"]["kb_on_shared"] >= 45
