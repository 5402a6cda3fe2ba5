"""`kb diagnose` on a big log: time and peak memory of the real command on a Lightning-style per-step metrics.csv.

    python benchmarks/diagnose_scale.py [--mb 200] [--keep DIR]

The log is synthetic (a per-step training loss with mini-batch noise falling toward a floor, a validation row
every 1,000 steps, Lightning's empty cells), written with numpy in a few seconds. The command runs in its own
process; its wall time and peak RSS (os.wait4's rusage of that process) are printed. The target (issue 19): a 200 MB CSV
answers in under a minute and under 1 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
ROW_BYTES = 23  # about what one per-step row of the file below takes
STEPS_PER_EPOCH = 5_000
VAL_EVERY = 1_000


def write_log(path: Path, megabytes: float, seed: int = 0) -> int:
    """A metrics.csv of about `megabytes` MB; returns its number of rows."""
    rng = np.random.default_rng(seed)
    steps = int(megabytes * 1e6 / ROW_BYTES)
    with path.open("w") as out:
        out.write("epoch,step,train_loss_step,val_loss,val_acc\n")
        for start in range(0, steps, 500_000):
            step = np.arange(start, min(steps, start + 500_000))
            loss = 2.3 * np.exp(-step / (steps / 6)) + 0.2 + 0.05 * rng.standard_normal(len(step)) ** 2
            epoch = step // STEPS_PER_EPOCH
            lines = [f"{e},{s},{v:.6f},,\n" for e, s, v in zip(epoch.tolist(), step.tolist(), loss.tolist())]
            for i in np.nonzero(step % VAL_EVERY == VAL_EVERY - 1)[0].tolist():
                val = 2.3 * np.exp(-step[i] / (steps / 6)) + 0.25
                lines[i] += f"{epoch[i]},{step[i]},,{val:.6f},{1 - val / 3:.4f}\n"
            out.write("".join(lines))
    return steps


def run(path: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """(seconds, peak MB of that process alone, result) of `kb diagnose --json path` in a fresh process.

    Measured from a small launcher process: Linux keeps a process's peak RSS across fork and exec, so a command
    started straight from a big process (a test run with the model loaded) would report that process's memory."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, __file__, "--measure", str(path), folder], check=True)
        record = Path(folder)
        seconds, peak, code = (float(v) for v in (record / "usage").read_text().split())
        args = [sys.executable, "-m", "kb", "diagnose", "--json", str(path)]
        out, err = (record / "out").read_bytes(), (record / "err").read_bytes()
        done = subprocess.CompletedProcess(args, int(code), out, err)
    return seconds, peak, done


def _measure(path: Path, folder: Path) -> None:
    """The launcher's work: run the command, write its output and (seconds, peak MB, exit code) into `folder`."""
    with (folder / "out").open("wb") as out, (folder / "err").open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kb", "diagnose", "--json", str(path)],
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS (kB on Linux)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    (folder / "usage").write_text(f"{seconds} {usage.ru_maxrss / 1024} {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the log to write (MB)")
    parser.add_argument("--keep", type=Path, help="write the log here and keep it")
    parser.add_argument("--measure", nargs=2, metavar=("LOG", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(Path(args.measure[0]), Path(args.measure[1]))
        return
    directory = args.keep or Path(tempfile.mkdtemp(prefix="kb-diagnose-scale-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "metrics.csv"
    start = time.perf_counter()
    rows = write_log(path, args.mb)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB, {rows:,} steps) in {time.perf_counter() - start:.1f} s")
    seconds, peak, done = run(path)
    print(f"kb diagnose: exit {done.returncode}, {seconds:.1f} s, peak RSS {peak:.0f} MB")
    if done.returncode not in (0, 1):
        print(done.stderr.decode()[-2000:])
    else:
        import json

        result = json.loads(done.stdout)
        print(f"main finding: {result['main']}; notes: {'; '.join(result['notes'])}")
    if args.keep is None:
        path.unlink()
        directory.rmdir()


if __name__ == "__main__":
    main()
