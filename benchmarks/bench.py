"""Print kb's speed and quality numbers side by side with the straightforward path.

    python benchmarks/bench.py [--runs 7]

Whole-process timings are noisy on a shared machine: every figure is the median of --runs runs, and kb and
the straightforward path (import sentence-transformers, load the model, encode, search FAISS) are measured
alternately in the same run so that their ratio is fair. Peak memory is the child's max RSS (os.wait4).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "val accuracy plateau"

STRAIGHTFORWARD = r"""
import os, sys
os.environ["HF_HUB_OFFLINE"] = "1"
from sentence_transformers import SentenceTransformer
import faiss, numpy as np
from kb.model import packaged_model_dir
from kb.index import read_index
index = read_index(__import__("pathlib").Path(sys.argv[1]))  # the same chunk vectors kb searches
search = faiss.IndexFlatIP(index.dim)
search.add(np.asarray(index.vectors, dtype=np.float32))
model = SentenceTransformer(str(packaged_model_dir()), device="cpu")
vector = model.encode([sys.argv[2]], normalize_embeddings=True)
scores, rows = search.search(np.asarray(vector, dtype=np.float32), 5)
print(index.chunk(int(rows[0][0])).slug)
"""


def run(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0 and os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return seconds, usage.ru_maxrss / 1024, out


def medians(samples: list[tuple[float, float, str]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def row(name: str, seconds: float, mb: float | None, command: str) -> None:
    mem = f"{mb:6.0f} MB" if mb is not None else "      -  "
    print(f"| {name:<44} | {seconds * 1000:9.0f} ms | {mem} | `{command}` |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    env = {**os.environ, "KB_HOME": str(home)}
    kb = [sys.executable, "-m", "kb"]
    print(f"kb benchmark: {os.cpu_count()} cores, median of {args.runs} runs, query {QUERY!r}\n")

    # Index build: from nothing (includes the one-time ONNX export), then the embedding alone, then one page.
    start = time.perf_counter()
    subprocess.run([*kb, "index"], env=env, check=True, capture_output=True)
    first = time.perf_counter() - start
    for index_file in (home / "index").glob("*.kbi"):
        index_file.unlink()
    start = time.perf_counter()
    subprocess.run([*kb, "index"], env=env, check=True, capture_output=True)
    embed_all = time.perf_counter() - start
    concepts = home / "concepts-copy"
    shutil.copytree(REPO / "concepts", concepts)
    subprocess.run([*kb, "index", "--concepts", str(concepts)], env=env, check=True, capture_output=True)
    page = sorted(concepts.glob("*/*.md"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    start = time.perf_counter()
    update = subprocess.run([*kb, "index", "--concepts", str(concepts)], env=env, check=True, capture_output=True)
    one_page = time.perf_counter() - start
    default_index = sorted((home / "index").glob("*.kbi"), key=lambda p: p.stat().st_mtime)[0]

    kb_samples, plain_samples = [], []
    for _ in range(args.runs):  # alternate, so load on the machine hits both alike
        kb_samples.append(run([*kb, "ask", QUERY], env))
        plain_samples.append(run([sys.executable, "-c", STRAIGHTFORWARD, str(default_index), QUERY], env))
    kb_s, kb_mb = medians(kb_samples)
    plain_s, plain_mb = medians(plain_samples)
    light = {
        name: medians([run([*kb, *cmd], env) for _ in range(args.runs)])
        for name, cmd in {
            "kb --help": ["--help"],
            "kb list": ["list"],
            "kb show nan-loss": ["show", "nan-loss"],
        }.items()
    }

    sys.path.insert(0, str(REPO))
    os.environ["KB_HOME"] = str(home)
    import kb as kb_api
    from kb.evaluate import evaluate, load_cases

    engine = kb_api.Engine(notify=lambda _m: None)
    engine.ask(QUERY)
    warm = []
    for query in ["loss is nan", "CUDA out of memory", QUERY, "my model overfits", "lr too high"] * 10:
        start = time.perf_counter()
        engine.ask(query)
        warm.append(time.perf_counter() - start)

    print("| what | median time | peak memory | command |")
    print("| --- | ---: | ---: | --- |")
    row("cold kb ask (ONNX, index built)", kb_s, kb_mb, f"kb ask {QUERY!r}")
    row(
        "straightforward path (sentence-transformers)",
        plain_s,
        plain_mb,
        "import sentence_transformers; load; encode; faiss search",
    )
    for name, (seconds, mb) in light.items():
        row(name, seconds, mb, name)
    row("warm query, Python API (Engine.ask)", statistics.median(warm), None, "kb.Engine().ask(q)")
    row("index from nothing (incl. one-time ONNX export)", first, None, "kb index (empty KB_HOME)")
    row("index from scratch (model exported)", embed_all, None, "kb index (index file removed)")
    row("index after one page changed", one_page, None, f"kb index -> {update.stdout.decode().strip()[:60]}")
    print(
        f"\ncold kb ask is {plain_s / kb_s:.1f}x faster than the straightforward path "
        f"({plain_mb / kb_mb:.1f}x less memory)\n"
    )

    print("| query set | ranking | top-1 | top-3 | MRR | off-topic answered 'no confident match' | command |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    sizes = []
    for name, label in (("queries.yaml", "dev (tuned on)"), ("holdout.yaml", "held-out (blind)")):
        path = REPO / "tests" / "eval" / name
        if not path.exists():
            continue
        for mode in ("dense", "lexical", "fused", "calibrated"):
            report = evaluate(engine, load_cases(path), mode=mode)
            command = f"kb eval tests/eval/{name}" if mode == "calibrated" else f"evaluate(..., mode={mode!r})"
            print(
                f"| {label} | {mode} | {report.top1:.3f} | {report.top3:.3f} | {report.mrr:.3f} "
                f"| {report.no_match_rate:.3f} | `{command}` |"
            )
        sizes.append(f"{name}: {report.total} on-topic + {report.off_topic} off-topic")
    print(f"\n({'; '.join(sizes)}. Scale: python benchmarks/scale.py)")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
