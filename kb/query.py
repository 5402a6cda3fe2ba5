"""The query: what the user typed or piped (a few words, a story, a traceback, a whole training log) turned, in
this one place, into the text that gets searched. The model reads at most 256 tokens, so for long input the error
line goes first and the rest follows only as far as it fits; then typos are read as library words (kb.spelling).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageError

MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_QUERY_CHARS = 900  # ~200-250 word pieces: what the model sees, with the most telling lines first
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
# "ValueError: ...", "torch.OutOfMemoryError: ...", "RuntimeError: CUDA error: ...", "error: ..."
EXCEPTION_RE = re.compile(
    r"^\s*(?:[A-Za-z_][\w.]*\.)?([A-Z]\w*(?:Error|Exception|Warning|Interrupt)|error|Error)\b:?\s*(.*)$"
)
TRACEBACK_RE = re.compile(r"^\s*Traceback \(most recent call last\)")
FRAME_RE = re.compile(r'^\s*File "([^"]+)", line \d+')
# Lines worth keeping from a long log even without an exception: numbers going bad, warnings.
TELLING_RE = re.compile(
    r"\b(nan|inf|out of memory|OOM|diverg\w*|overflow\w*|underflow|warning|error|failed|killed)\b", re.IGNORECASE
)
# A library's own INFO/DEBUG chatter (TensorFlow's glog lines, Python logging at INFO): never the problem, and its
# words ("CPU instructions", "oneDNN") pull the search toward pages about devices. Kept out of the filler below.
CHATTER_RE = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[ T][\d:.,]+\]?:?\s+)?"  # a timestamp, then glog's level, file and line ...
    r"(?:[IDV]\d{0,4}\s+(?:[\d:.]+\s+\d+\s+)?\S+\.(?:cc|cpp|h|py):\d+\]"
    r"|(?:INFO|DEBUG)\b[\s:|-])"
)
PROGRESS_RE = re.compile(r"^\s*(?:\d+%\|[^|]*\||Epoch \d+/\d+\s*$|[\s|#=>.-]*$)")


def as_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates (bytes that were not UTF-8 in a command-line argument, a bad JSON
    escape) become U+FFFD, as undecodable bytes on stdin do."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            data = text.encode("utf-8", "surrogateescape")  # how Python decoded argv: the original bytes back
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
        return data.decode("utf-8", "replace")


def decode(data: bytes) -> str:
    """Bytes from stdin to text; undecodable bytes become U+FFFD instead of failing."""
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(
            f"input is more than {MAX_INPUT_BYTES // 2**20} MB, the most kb reads "
            f"(pipe the end of the log: tail -n 200 train.log | kb ask)"
        )
    return data.decode("utf-8", errors="replace")


def clean_lines(text: str) -> list[str]:
    """Strip ANSI colours and carriage-return redraws (tqdm), keeping what the terminal finally showed."""
    text = ANSI_RE.sub("", text.replace("\r\n", "\n"))
    lines = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [p for p in line.split("\r") if p.strip()]
            line = parts[-1] if parts else ""
        line = line.rstrip()
        if line.strip():
            lines.append(line)
    return lines


def _is_noise(line: str) -> bool:
    return bool(PROGRESS_RE.match(line)) or line.strip().startswith(("^", "~"))


def prepare(text: str) -> str:
    """The text to embed for a query. Short queries pass through unchanged (whitespace folded)."""
    lines = clean_lines(text)
    if not lines:
        raise UsageError("empty query: give a question, an error message, or pipe text on stdin")
    joined = " ".join(" ".join(lines).split())
    if len(lines) == 1 and len(joined) <= MAX_QUERY_CHARS:
        return joined

    picked: list[str] = []
    seen: set[str] = set()
    size = 0

    def add(line: str) -> None:
        # Lines past the budget can never reach the query (it stops at the first line that does not fit), so
        # a 10 MB log costs one pass, not a comparison of every line with every line picked before it.
        nonlocal size
        line = " ".join(line.split())
        if line and line not in seen and size <= MAX_QUERY_CHARS:
            picked.append(line)
            seen.add(line)
            size += len(line) + 1

    # 1. The last exception line (the one that ended the run), then the other distinct exception lines.
    exception_rows = [i for i, line in enumerate(lines) if EXCEPTION_RE.match(line) and not FRAME_RE.match(line)]
    if exception_rows:
        last = exception_rows[-1]
        add(lines[last])
        # the source line of the innermost frame just above it says what was being computed
        for line in reversed(lines[max(0, last - 4) : last]):
            if not FRAME_RE.match(line) and not _is_noise(line) and not TRACEBACK_RE.match(line):
                add(line)
                break
        for i in reversed(exception_rows[:-1]):
            add(lines[i])
    # 2. Other telling lines, latest first (nan at step N, warnings), then the user's own prose.
    for line in reversed(lines):
        if TELLING_RE.search(line) and not FRAME_RE.match(line) and not _is_noise(line):
            add(line)
    if not picked or sum(len(p) for p in picked) < MAX_QUERY_CHARS // 3:
        for line in lines:
            if not (FRAME_RE.match(line) or _is_noise(line) or TRACEBACK_RE.match(line) or CHATTER_RE.match(line)):
                add(line)
    query = ""
    for line in picked:
        if len(query) + len(line) + 1 > MAX_QUERY_CHARS:
            if not query:
                query = line[:MAX_QUERY_CHARS]
            break
        query = f"{query} {line}".strip()
    return query or joined[:MAX_QUERY_CHARS]


@dataclass(frozen=True)
class Query:
    """A query, made once by `make_query` and read by every stage of the search."""

    text: str  # as the user gave it
    searched: str  # what is embedded and scored: the telling lines of a log, typos read as library words
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, read as), see kb.spelling

    @property
    def exact_texts(self) -> tuple[str, str]:
        """What exact matching looks at: the text as given (a pasted error, bounded by `exact_source`) and as
        searched."""
        return exact_source(self.text), self.searched


EXACT_SOURCE_CHARS = 20_000  # longer input is a log: only its error and warning lines can hold an error string
ERROR_WORD_RE = re.compile(r"(Error|Exception|Warning)\b")  # what every error string kb matches exactly contains


def exact_source(text: str) -> str:
    """The part of `text` exact matching reads: all of it when short; for a long log, the lines that name an error,
    an exception or a warning (each with the line after it, where a long message continues), latest first, up to
    EXACT_SOURCE_CHARS."""
    if len(text) <= EXACT_SOURCE_CHARS:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for i in range(len(lines) - 1, -1, -1):
        if ERROR_WORD_RE.search(lines[i]):
            piece = "\n".join(lines[i : i + 2])
            kept.append(piece)
            size += len(piece) + 1
            if size > EXACT_SOURCE_CHARS:
                break
    return "\n".join(reversed(kept))


def make_query(text: str, spelling=None) -> Query:
    """The Query for `text`; `spelling` is the index's typo vocabulary (kb.spelling.Spelling) or None."""
    searched = prepare(text)
    corrections: list[tuple[str, str]] = []
    if spelling is not None:
        searched, corrections = spelling.correct(searched)
    return Query(text, searched, tuple(corrections))
