"""Run snippets, each in its own interpreter, forked from a warm one that has already imported torch and scikit-learn.

Importing torch and scikit-learn takes 2-3 s of each snippet's 5 s on a 2-core machine, so `kb check --run` and the
test suite spent half their snippet time importing the same modules again. A warm interpreter imports them once and
forks a child per snippet: each child still starts from the same clean state (fresh `__main__`, `sys.argv`, working
directory, stdin at /dev/null, its own process group), runs the snippet as `python -c` would, waits for the
snippet's threads and atexit handlers, and exits without tearing torch's modules down (which alone took ~1.3 s).
If the warm interpreter cannot start (no fork(): Windows), or importing the modules printed anything (a warning
printed once at import would be hidden from every snippet), the caller runs snippets in fresh interpreters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# The modules most snippets import (measured over the built-in pages); each is imported only if installed.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "sklearn.model_selection",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.datasets",
    "sklearn.preprocessing",
)

# The warm interpreter's program. It reads one JSON request per line on stdin ({code, cwd, output, timeout}), forks,
# waits for the child (killing its process group at the timeout) and answers one JSON line ({rc, seconds, timed_out}).
_WARM_PROGRAM = r"""
import contextlib, io, json, os, signal, sys, time, traceback, types, warnings

noise = io.StringIO()
with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise), warnings.catch_warnings(record=True) as seen:
    preloaded = []
    for name in PRELOAD:
        try:
            __import__(name)
            preloaded.append(name)
        except Exception:
            pass
quiet = not noise.getvalue() and not seen
import gc
gc.freeze()  # the preloaded objects stay out of every child's collections (and its copy-on-write pages)
sys.stdout.write(json.dumps({"ready": quiet, "preloaded": preloaded}) + "\n")
sys.stdout.flush()
if not quiet:
    raise SystemExit(0)

def run_child(request):
    os.setpgid(0, 0)  # the runner kills the whole group at the timeout, DataLoader workers included
    os.chdir(request["cwd"])
    out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(0, closefd=False)  # the requests' pipe stays with the warm interpreter
    sys.argv = ["-c"]
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(compile(request["code"], "<string>", "exec"), main.__dict__)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except BaseException as error:
        # As `python -c` prints it, without the warm interpreter's own frames.
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        code = 1
    # The interpreter's shutdown, minus tearing down the modules torch brought (about a second per snippet):
    # wait for the snippet's threads, run its atexit handlers, flush, exit.
    import atexit, threading
    threading._shutdown()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.flush()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        run_child(request)  # never returns: os._exit after the snippet's threads and atexit handlers
    deadline = time.monotonic() + request["timeout"]
    # WNOWAIT: the child stays unreaped until its group is killed, so the group id cannot have been reused
    timed_out = False
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # at the timeout, the snippet; always, anything it left running
    _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    sys.stdout.write(json.dumps({"rc": rc, "seconds": seconds, "timed_out": timed_out}) + "\n")
    sys.stdout.flush()
"""


def single_thread_env() -> dict[str, str]:
    """The environment snippets run in: one BLAS/OpenMP thread, as tiny snippets on a busy 2-core machine need
    (thread pools fighting over cores made some 20x slower)."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


class WarmPython:
    """One warm interpreter; `run` forks a fresh child from it per snippet. Not thread-safe: one per worker."""

    def __init__(self) -> None:
        program = f"PRELOAD = {PRELOAD!r}\n" + _WARM_PROGRAM
        self._process: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-c", program],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=single_thread_env(),
        )
        hello = self._read_line()
        self.ready = bool(hello and hello.get("ready"))
        if not self.ready:
            self.close()

    def _read_line(self) -> dict | None:
        line = self._process.stdout.readline() if self._process else ""
        try:
            return json.loads(line) if line else None
        except json.JSONDecodeError:
            return None

    def run(self, code: str, slug: str, timeout: float) -> tuple[bool, float, str] | None:
        """(ok, seconds, output) for one snippet, or None if the warm interpreter has died."""
        if not self.ready or self._process is None or self._process.poll() is not None:
            return None
        # The output goes to a file outside the snippet's working directory, which stays empty as `python -c` in
        # an empty directory would find it.
        with tempfile.TemporaryDirectory(prefix=f"kb-{slug}-") as tmp, tempfile.TemporaryDirectory() as out_dir:
            output_path = Path(out_dir) / "output"
            request = {"code": code, "cwd": tmp, "output": str(output_path), "timeout": timeout}
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                return None
            answer = self._read_line()
            if answer is None:
                return None
            output = output_path.read_text(errors="replace") if output_path.exists() else ""
        if answer["timed_out"]:
            return False, answer["seconds"], f"timed out after {timeout:.0f} s"
        return answer["rc"] == 0, answer["seconds"], output

    def close(self) -> None:
        if self._process is None:
            return
        try:
            self._process.stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
