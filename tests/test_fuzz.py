"""A fault and fuzz suite: thousands of seeded random mutations of everything kb reads (pages, logs, eval files,
stdin, index and model files), concurrent page edits during asks, and every command with stdout full. It asserts
what a user must be able to rely on: no traceback, a documented exit code, kb's own files unchanged or rebuilt,
and never a NaN vector written. The in-process part is fast; real processes and the real model are slow."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from kb.errors import KbError
from kb.evaluate import load_cases
from kb.index import CorruptIndex, read_index
from kb.pages import load_library, parse_page
from kb.query import decode, make_query

from conftest import CONCEPTS, REPO, run_kb, write_page

SEED = 20261207
EXIT_CODES = {0, 1, 2, 3, 4}

MUTATIONS = [
    lambda r, lines: lines.insert(r.randrange(len(lines) + 1), r.choice(lines)) if lines else None,  # duplicate
    lambda r, lines: lines.pop(r.randrange(len(lines))) if lines else None,  # delete
    lambda r, lines: lines.insert(
        r.randrange(len(lines) + 1), r.choice(["## You see", "## Code to try", "---", "```python", "```", "## Why"])
    ),
    lambda r, lines: lines.insert(
        r.randrange(len(lines) + 1), "".join(chr(r.randrange(0, 0x3000)) for _ in range(r.randrange(1, 40)))
    ),
    lambda r, lines: lines.__setitem__(slice(r.randrange(len(lines) + 1), None), []),  # truncate
    lambda r, lines: lines.insert(
        r.randrange(len(lines) + 1),
        r.choice(
            [
                "title: [",
                "symptoms: {",
                "related: 7",
                "aliases: !!python/object:os.system x",
                "summary: *anchor",
                "\ufeff",
                "\x1b[2J",
            ]
        ),
    ),
    lambda r, lines: r.shuffle(lines) if r.random() < 0.1 else None,
]


def mutated(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randrange(1, 6)):
        rng.choice(MUTATIONS)(rng, lines)
    return "\n".join(lines)


def test_thousands_of_mutated_pages_never_raise(tmp_path):
    rng = random.Random(SEED)
    sources = sorted(CONCEPTS.glob("*/*.md"))[:30]
    for trial in range(2000):
        source = rng.choice(sources)
        path = tmp_path / source.parent.name / f"fuzz-{trial % 7}.md"
        path.parent.mkdir(exist_ok=True)
        text = mutated(source.read_text(encoding="utf-8"), rng)
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.05:
            data = data[: rng.randrange(len(data) + 1)] + bytes(rng.randrange(256) for _ in range(8))
        path.write_bytes(data)
        page, problems = parse_page(path)  # must not raise
        assert all(isinstance(p.message, str) and p.line >= 1 for p in problems)
        if page is not None:
            assert "\x1b" not in page.title + page.summary + "".join(page.sections.values())
    library = load_library([(tmp_path, "fuzz")])  # and the library around them loads
    assert isinstance(library.pages, dict)


def test_random_bytes_as_a_query_never_raise_but_usage_errors():
    rng = random.Random(SEED)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 5000)))
        try:
            make_query(decode(data))
        except KbError as exc:
            assert exc.exit_code == 2


def test_random_and_deep_eval_files_are_usage_errors(tmp_path):
    rng = random.Random(SEED)
    path = tmp_path / "eval.yaml"
    for trial in range(300):
        if trial % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        elif trial % 3 == 1:
            data = (rng.choice(["[", "{a: ", "- "]) * rng.randrange(1, 20000)).encode()
        else:
            data = json.dumps([{"q": "x", "expect": [rng.choice([1, None, [], {}, "s", 2.5])]}]).encode()
        path.write_bytes(data)
        try:
            load_cases(path)
        except KbError as exc:
            assert exc.exit_code == 2


def test_random_damage_to_an_index_file_is_detected(fake_engine, tmp_path):
    rng = random.Random(SEED)
    blob = fake_engine.index_file.read_bytes()
    path = tmp_path / "damaged.kbi"
    for _ in range(300):
        data = bytearray(blob)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        path.write_bytes(bytes(data))
        try:
            index = read_index(path)
        except CorruptIndex:
            continue
        raise AssertionError(f"a damaged index was read as sound ({len(index)} pages)")


def test_random_logs_never_raise_but_kb_errors(tmp_path):
    from kb.diagnosis import diagnose_file

    rng = random.Random(SEED)
    heads = ["epoch,loss,val_loss\n", '{"log_history": [', "step\tloss\n", "[", "Epoch 1/10\n"]
    for trial in range(200):
        body = "".join(
            rng.choice(["1,", "0.5,", "nan,", "\n", "x", '{"loss": 1}', "]", ",", "inf", "-"])
            for _ in range(rng.randrange(0, 400))
        )
        path = tmp_path / f"log{trial % 5}.{rng.choice(['csv', 'json', 'log', 'tsv'])}"
        path.write_text(rng.choice(heads) + body)
        try:
            diagnose_file(path)
        except KbError:
            pass


# ---------------------------------------------------------------- the real thing (slow)


@pytest.mark.slow
def test_every_command_with_stdout_full_or_closed_ends_in_one_line(engine, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},{1.1 / (i + 1)}\n" for i in range(20)))
    cases = tmp_path / "eval.yaml"
    cases.write_text("- {q: loss is nan, expect: [nan-loss]}\n- {q: sourdough bread, expect: []}\n")
    commands = [
        ["ask", "loss is nan"],
        ["show", "nan-loss"],
        ["snippet", "nan-loss"],
        ["list"],
        ["index"],
        ["check", str(CONCEPTS / "debugging")],
        ["diagnose", str(log)],
        ["cache"],
        ["eval", str(cases)],
    ]
    for args in commands:
        for redirect in (">/dev/full", ">&-"):
            quoted = " ".join(f"'{a}'" for a in args)
            done = subprocess.run(
                f"'{sys.executable}' -m kb {quoted} {redirect}", shell=True, capture_output=True, timeout=600, cwd=REPO
            )
            assert done.returncode in EXIT_CODES, (args, redirect, done.stderr[-500:])
            assert b"Traceback" not in done.stderr, (args, redirect, done.stderr[-2000:])


@pytest.mark.slow
def test_pages_edited_during_asks_never_break_an_answer(fresh_home, tmp_path):
    own = tmp_path / "own"
    for i in range(6):
        write_page(
            own,
            "debugging",
            f"moving-{i}",
            title=f"Moving page {i}",
            symptoms=[f"moving symptom {i} {j}" for j in range(6)],
        )
    env = {"KB_HOME": str(fresh_home)}
    assert run_kb("index", "--concepts", str(own), env=env).returncode == 0
    stop = threading.Event()

    def churn():
        rng = random.Random(SEED)
        while not stop.is_set():
            page = own / "debugging" / f"moving-{rng.randrange(6)}.md"
            away = tmp_path / "away.md"
            if page.exists():
                shutil.move(page, away)
                shutil.move(away, page)
            else:  # pragma: no cover - only if a move failed
                stop.wait(0.01)

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        for _ in range(12):
            done = run_kb("ask", "--json", "--concepts", str(own), "moving symptom 3 2", env=env)
            assert done.returncode in (0, 1), done.stderr.decode()[-1500:]
            assert b"Traceback" not in done.stderr
            assert json.loads(done.stdout)["results"]
    finally:
        stop.set()
        thread.join()


@pytest.mark.slow
def test_a_damaged_model_export_is_detected_and_made_again(fresh_home, engine):
    [export] = [p for p in (fresh_home / "models").iterdir() if p.is_dir() and not p.name.startswith(".")]
    weights = export / "model.onnx.data"
    data = weights.read_bytes()
    weights.unlink()  # the hard link to the session's export: write a damaged copy instead
    rng = np.random.default_rng(SEED)
    weights.write_bytes(rng.integers(0, 256, len(data), dtype=np.uint8).tobytes())  # same size, random bytes
    done = run_kb("ask", "--json", "loss is nan", env={"KB_HOME": str(fresh_home)}, timeout=900)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert json.loads(done.stdout)["results"][0]["slug"] == "nan-loss"
    assert b"the ONNX export of the model is unusable" in done.stderr
    for index_file in (fresh_home / "index").glob("*.kbi"):
        assert np.isfinite(np.asarray(read_index(index_file).vectors)).all()


@pytest.mark.slow
def test_invalid_utf8_on_the_command_line_is_answered(engine):
    done = subprocess.run(
        [sys.executable, "-m", "kb", "ask", "--json", b"loss \xff\xfe is nan"],
        capture_output=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    assert json.loads(done.stdout)["results"][0]["slug"] == "nan-loss"


@pytest.mark.slow
def test_a_10_mb_paste_costs_at_most_twice_a_normal_ask(engine):
    from measure import run_measured

    log = "".join(f"[2026-01-01] INFO step {i} loss {1 / (i + 1):.4f} lr 3e-4 tokens/s 5120\n" for i in range(160_000))
    log = (log + "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n")[-10_000_000:]

    def run(args, data=b""):
        """(stdout, peak RSS in MB) of one `kb` process, measured on its own (tests/measure.py)."""
        code, out, peak = run_measured([sys.executable, "-m", "kb", *args], data, cwd=REPO)
        assert code == 0
        return out, peak

    _, normal = run(["ask", "--json", "loss is nan"])
    out, pasted = run(["ask", "--json"], log.encode())
    data = json.loads(out)
    assert data["results"][0]["slug"] == "cuda-out-of-memory" and data["query_truncated"]
    assert pasted <= 2 * normal, (normal, pasted)
