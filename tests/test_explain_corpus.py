"""kb explain in real processes: on the 131 real scripts and notebooks of tests/data/real-scripts against their blind
labels (the measured precision, recall and false alarms must not drop), on a 1,000-line script (time), and on the
inputs a user can get wrong (not Python, a broken notebook cell, a 50 MB file, stdin)."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO, run_kb
from explain_scoring import CORPUS, load_labels, summarize

pytestmark = pytest.mark.slow  # real processes

sys.path.insert(0, str(REPO / "benchmarks"))
from explain_eval import long_script  # noqa: E402

# Measured with `python benchmarks/explain_eval.py` (README "Explain a training script"): the floor each half must
# keep. The dev half is what the rules were developed on (15 files, then 8 config-style scripts, 8 Lightning, HF
# Trainer and Keras ones, and 2 plain PyTorch loops); the held-out half was measured once after the rules were
# written (13 files), then grew by blind batches of 11, 12, 10, 10, 10 and 7 (2026-12-07), which are only measured;
# a seventh and a tenth batch of 10 and a thirteenth of 5 (dev) were added to the dev half; a fourteenth of 12 was
# measured blind, then moved to dev; a fifteenth of 12, a sixteenth of 11 and a seventeenth of 12 (held out) were
# measured on arrival; an eighteenth and a nineteenth of 12 were measured blind, then moved to dev (fifth session:
# %%writefile cells read, the only loader that trains judged, an inference helper a training step calls not judged);
# a twentieth of 12 (sixth session) is held out: on arrival precision 0.903, recall 0.780, 1/1 mistakes, no false alarm.
# Seventh session: an explicitly switched-off precision (`fp16=False`, `precision=32`) is listed as a knob (dev
# precision 0.934 -> 0.935, recall 0.890 -> 0.892; held-out unchanged). A twenty-second batch of 11 (held out; a
# twelfth file was already in the corpus) on arrival: precision 0.922, recall 0.663, no mistake labelled, no false alarm.
FLOOR = {
    "dev": {"precision": 0.934, "recall": 0.891, "mistakes_found": 15, "false_alarms": 1},
    "held-out": {"precision": 0.891, "recall": 0.825, "mistakes_found": 13, "false_alarms": 4},
}


@pytest.fixture(scope="module")
def corpus_results() -> dict[str, dict]:
    def explain(entry):
        done = run_kb("explain", "--json", str(CORPUS / entry["file"]))
        assert done.returncode in (0, 1), done.stderr.decode()
        return entry["file"], json.loads(done.stdout)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(explain, load_labels()))


@pytest.mark.parametrize("half", ["dev", "held-out"])
def test_the_real_corpus_stays_at_the_measured_precision_recall_and_false_alarms(corpus_results, half):
    tally = summarize(corpus_results)[half]["all"]
    floor = FLOOR[half]
    assert tally.precision >= floor["precision"], tally.extras
    assert tally.recall >= floor["recall"], tally.misses
    assert tally.mistake_labels_found >= floor["mistakes_found"]
    assert tally.false_alarm_count <= floor["false_alarms"], tally.false_alarms


def test_exit_code_says_whether_a_likely_mistake_was_found(corpus_results):
    assert all(r["version"] == 1 and r["file"].endswith(name) for name, r in corpus_results.items())
    assert run_kb("explain", str(CORPUS / "pytorchexamples-mnist-train.py")).returncode == 0
    assert run_kb("explain", str(CORPUS / "pytorchexamples-imagenet-fp16.py")).returncode == 1


def test_a_1000_line_script_is_explained_quickly(tmp_path):
    """The issue's target is 0.5 s (benchmarks/explain_eval.py measures it); this bound only catches a blow-up."""
    path = long_script(tmp_path)
    assert len(path.read_text().splitlines()) >= 1000
    from kb.explanation import explain_file

    start = time.perf_counter()
    explain_file(path)
    assert time.perf_counter() - start < 2.0
    start = time.perf_counter()
    done = run_kb("explain", str(path))
    assert done.returncode in (0, 1) and time.perf_counter() - start < 5.0


def test_a_file_that_is_not_python_is_one_line_and_exit_2(tmp_path):
    prose = tmp_path / "notes.md"
    prose.write_text("# Notes\n\nThe learning rate was too high.\nThen it was fine again.\n")
    done = run_kb("explain", str(prose))
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().strip().splitlines()[-1].startswith(f"kb: {prose}: not Python")
    assert b"Traceback" not in done.stderr
    assert run_kb("explain", str(tmp_path / "missing.py")).returncode == 2


def test_a_notebook_with_a_broken_cell_is_still_explained(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    cells = [
        {"cell_type": "code", "source": ["import torch\n", "opt = torch.optim.SGD(m.parameters(), lr=0.1)\n"]},
        {"cell_type": "code", "source": ["model.fit(\n"]},
        {"cell_type": "code", "source": ["!nvidia-smi\n", "for epoch in range(3):\n", "    pass\n"]},
    ]
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    done = run_kb("explain", "--json", str(notebook))
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["kind"] == "notebook"
    assert [(k["cell"], k["line"], k["kind"]) for k in data["knobs"]] == [
        (0, 2, "optimizer"),
        (0, 2, "learning_rate"),
        (2, 2, "epochs"),
    ]
    assert data["notes"] == ["cell 1 does not parse (line 1: '(' was never closed); skipped"]


def test_a_50_mb_file_stops_with_a_message(tmp_path):
    big = tmp_path / "big.py"
    with open(big, "wb") as handle:
        handle.write(b"x = 1\n" * (50 * 1024 * 1024 // 6))
    start = time.perf_counter()
    done = run_kb("explain", str(big))
    assert done.returncode == 2 and b"too big" in done.stderr and time.perf_counter() - start < 30


def test_stdin_is_read_and_named(tmp_path):
    code = "import torch\nopt = torch.optim.Adam(m.parameters(), lr=3e-4)\n"
    done = run_kb("explain", "-", "--name", "train.py", input=code)
    assert done.returncode == 0 and done.stdout.decode().startswith("train.py: PyTorch script, 2 knobs")
    empty = run_kb("explain", "-", input="")
    assert empty.returncode == 2 and b"empty: no code to explain" in empty.stderr
    markdown = run_kb("explain", "-", "--format", "markdown", input=code)
    assert markdown.stdout.decode().startswith("## kb explain: <stdin>\n")


def test_the_python_api(tmp_path):
    import kb

    script = Path(tmp_path / "train.py")
    script.write_text("import torch\nopt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)\n")
    result = kb.explain(script)
    assert [k.kind for k in result.start] == ["learning_rate", "momentum"] and result.knobs[0].sentence


def test_every_script_names_its_blind_batch_in_the_order_they_arrived():
    """labels.yaml's `batch` (benchmarks/explain_eval.py prints each batch): 1..19, in file order, and a batch lies
    in one half except the first (split by repository before any rule was written)."""
    from explain_scoring import half, load_labels

    labels = load_labels()
    batches = [entry["batch"] for entry in labels]
    # batch 21 (seventh session) was measured on arrival but not committed: none of its repositories states a licence
    assert set(batches) == set(range(1, 21)) | {22}
    halves = {b: {half(e) for e in labels if e["batch"] == b} for b in set(batches)}
    assert all(len(h) == 1 for b, h in halves.items() if b != 1)
