"""`kb run`: run a training command, pass its output through unchanged, and keep what kb needs to read afterwards
(the tail of the output, its traceback, lines that show nan/inf losses or warnings), in bounded memory."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import deque
from dataclasses import dataclass, field

from .errors import KbError

TAIL_BYTES = 1 << 20  # what is kept of the output for kb to read: the end, where the crash is
MAX_TELLING = 200  # telling lines kept (the first ones: where things went wrong first)
TRACEBACK_RE = re.compile(r"Traceback \(most recent call last\)")
# a logged loss that is nan or inf ("loss: nan", "loss=inf", "'loss': nan", "train_loss nan")
NON_FINITE_LOSS_RE = re.compile(r"loss[\w/.\-]*['\"]?\s*[:=]?\s*['\"]?(?:-?inf|nan)\b", re.IGNORECASE)
WARNING_RE = re.compile(r"\b\w*Warning\b: .+")


class CommandNotRun(KbError):
    """The command could not be started (not found, not executable): exit 127, as a shell says."""

    exit_code = 127


@dataclass
class Outcome:
    """What a watched run did: its exit status and what its output showed."""

    returncode: int
    tail: str  # the last TAIL_BYTES of stdout and stderr, in the order they arrived
    non_finite: list[str] = field(default_factory=list)  # lines with a nan/inf loss (the first MAX_TELLING)
    warnings: list[str] = field(default_factory=list)  # distinct warning lines (the first MAX_TELLING)

    @property
    def crashed(self) -> bool:
        return self.returncode != 0 and bool(TRACEBACK_RE.search(self.tail))

    @property
    def traceback(self) -> str:
        """The last traceback in the output, up to its end (what `kb ask` is asked about), or ""."""
        starts = [m.start() for m in TRACEBACK_RE.finditer(self.tail)]
        return self.tail[starts[-1] :] if starts else ""


class _Reader:
    """Copies one pipe to its destination as bytes arrive, and feeds the shared record."""

    def __init__(self, pipe, destination, record: _Record):
        self.pipe, self.destination, self.record = pipe, destination, record

    def __call__(self) -> None:
        while True:
            data = os.read(self.pipe.fileno(), 65536)
            if not data:
                break
            try:
                self.destination.write(data)
                self.destination.flush()
            except (BrokenPipeError, OSError):
                pass  # the reader of our output left; the run goes on, and kb still reads it
            self.record.add(data)


class _Record:
    def __init__(self, tail_bytes: int):
        self.lock = threading.Lock()
        self.tail: deque[bytes] = deque()
        self.size = 0
        self.tail_bytes = tail_bytes
        self.partial = b""
        self.non_finite: list[str] = []
        self.warnings: list[str] = []

    def add(self, data: bytes) -> None:
        with self.lock:
            self.tail.append(data)
            self.size += len(data)
            while self.size - len(self.tail[0]) >= self.tail_bytes:
                self.size -= len(self.tail.popleft())
            lines = (self.partial + data).split(b"\n")
            self.partial = lines.pop()[-65536:]  # a line is cut at 64 KB: a progress bar never ends
            for raw in lines:
                line = raw.decode("utf-8", "replace").rsplit("\r", 1)[-1].strip()
                if len(self.non_finite) < MAX_TELLING and NON_FINITE_LOSS_RE.search(line):
                    self.non_finite.append(line[:300])
                match = WARNING_RE.search(line)
                if match and len(self.warnings) < MAX_TELLING and match.group(0)[:300] not in self.warnings:
                    self.warnings.append(match.group(0)[:300])

    def text(self) -> str:
        with self.lock:
            return b"".join(self.tail).decode("utf-8", "replace")[-self.tail_bytes :]


def run_and_watch(argv: list[str], stdout, stderr, tail_bytes: int = TAIL_BYTES) -> Outcome:
    """Run `argv`, copying its stdout to `stdout` and its stderr to `stderr` (binary streams) unchanged, and return
    what it did. Python children are unbuffered (PYTHONUNBUFFERED=1), so their output arrives as it is printed.
    Ctrl-C reaches the child (same process group); kb waits for it to end and reports its exit code."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except (FileNotFoundError, PermissionError) as exc:
        raise CommandNotRun(f"cannot run {argv[0]}: {exc.strerror}") from None
    record = _Record(tail_bytes)
    readers = [
        threading.Thread(target=_Reader(child.stdout, stdout, record), daemon=True),
        threading.Thread(target=_Reader(child.stderr, stderr, record), daemon=True),
    ]
    for reader in readers:
        reader.start()
    while True:
        try:
            returncode = child.wait()
            break
        except KeyboardInterrupt:  # the child got the same SIGINT; wait for it to stop
            continue
    for reader in readers:
        reader.join()
    if returncode < 0:  # killed by a signal: report it the way a shell does (SIGINT -> 130)
        returncode = 128 - returncode
    return Outcome(returncode, record.text(), record.non_finite, record.warnings)
