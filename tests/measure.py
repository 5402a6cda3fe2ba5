"""Peak memory of one command, measured from a small launcher process.

Linux keeps a process's peak RSS across fork and exec, so a command started straight from the test process (which
may hold the model, hundreds of MB) would report the test's memory, not its own. A fresh interpreter that does
nothing else starts it instead and reports os.wait4's figure for that child alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

LAUNCHER = """
import json, os, subprocess, sys
args, stdin_path, out_path, cwd = json.loads(sys.argv[1])
with open(stdin_path, "rb") as stdin, open(out_path, "wb") as out:
    proc = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024]))
"""


def run_measured(args: list[str], stdin: bytes = b"", cwd: str | Path | None = None) -> tuple[int, bytes, float]:
    """(exit code, stdout, peak RSS in MB of that process alone) of `args`."""
    with tempfile.TemporaryDirectory() as folder:
        stdin_path, out_path = Path(folder) / "stdin", Path(folder) / "stdout"
        stdin_path.write_bytes(stdin)
        spec = json.dumps([list(args), str(stdin_path), str(out_path), str(cwd) if cwd else None])
        done = subprocess.run([sys.executable, "-c", LAUNCHER, spec], capture_output=True, check=True, timeout=600)
        code, peak = json.loads(done.stdout)
        return code, out_path.read_bytes(), peak
