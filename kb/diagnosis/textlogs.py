"""Hand-written text logs into the same columns as a CSV: the lines training scripts print.

Read: "Epoch [1/50], Train Loss: 0.52, Val Acc: 81.2%", Python logging prefixes ("2025-06-04 17:36:55,374 - INFO -",
"INFO:root:"), tqdm bars and their postfix ("Epoch 1: 100%|####| 50/50 [00:10<00:00, loss=0.123, acc=0.95]"),
"key: value" and "key=value" pairs, printed dicts ({'loss': 0.1, 'epoch': 1.0}), "epoch 3 | loss 0.5 | acc 0.8"
tables and Keras' verbose output ("Epoch 3/10" then "19/19 - 12s - loss: 0.5 - val_loss: 0.6").

A line is a row when it reports training progress: a metric with an epoch or step counter (its own and leading the
line, or the one of the "Epoch 3/10" line above it when that changes between rows), or a loss beside another metric,
or at least two metrics on a line that repeats three times or more, or a loss alone on a line printed five times or
more. A lone "key: value" line (a config dump, a final score, a Counter(...) printout) never is. Progress bars keep
their last refresh per epoch.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .columns import kind
from .tables import RowBuilder, Table

NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)(?![a-z])"
KEY = r"[A-Za-z][\w.()/@-]*?(?:\s[A-Za-z0-9][\w.()/@-]*?){0,3}?"
# A count may carry a magnitude suffix ("step:20K smpl:2M", LeRobot and others); "m" is left alone (minutes).
MAGNITUDE = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9}
VALUE = rf"(?P<value>{NUM})(?:(?P<magnitude>(?-i:[kKMB]))|(?P<pct>%))?(?:\s*/\s*(?P<total>\d+))?"
# "key: value" or "key=value" anywhere in a field; "key value" only as a whole field ("loss 0.5", "Epoch 3/10")
PAIR = re.compile(rf"(?<![\w.])['\"]?(?P<key>{KEY})['\"]?\s*[:=]\s*{VALUE}(?![\w.])", re.IGNORECASE)
FIELD_PAIR = re.compile(rf"^['\"]?(?P<key>{KEY})['\"]?(?:\s*[:=]\s*|\s+){VALUE}$", re.IGNORECASE)
FIELD_SPLIT = re.compile(r"\s*[|,;\t{}]\s*|\s+-\s+|(?<![:=\s])\s{2,}")  # "MeanIU:  0.496": one field
COUNTER_AT_START = re.compile(
    r"^\W*(?P<word>epochs?|ep|steps?|global[ _]step|iterations?|iters?|episodes?)\b\s*[:=#]?\s*"
    r"(?P<value>\d+(?:\.\d+)?)(?P<magnitude>(?-i:[kKMB]))?(?:\s*/\s*(?P<total>\d+))?(?![\w.])",
    re.IGNORECASE,
)
BRACKETED_COUNT = re.compile(r"\s*\[\s*(\d+)\s*(/\s*\d+\s*)?\]")  # "Epoch [1/50]" -> "Epoch 1/50"; "Step [3]"
KERAS_PROGRESS = re.compile(r"^\s*(?P<i>\d+)/(?P<n>\d+)\s*(?:\[[=>.]*\])?\s*-\s")
TQDM = re.compile(r"^(?P<desc>.*?)(?P<pct>\d{1,3})%\|[^|]*\|\s*(?P<i>\d+)/(?P<n>\d+)\s*(?:\[(?P<meta>[^\]]*)\]?)?")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
TIMESTAMP = r"\[?\d{4}[-/]\d{2}[-/]\d{2}[ T_]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?"
LEVEL = r"\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\]?"
LOG_PREFIX = re.compile(rf"^\s*(?:{TIMESTAMP}[\s:,|-]*)?(?:(?:[\w.]+\s*[-|:]\s*)?{LEVEL}(?::[\w.]*:)?[\s:|-]*)?")
# Lightning's EarlyStopping(verbose=True): "Metric val/accuracy improved by 0.011 >= min_delta = 0.0. New best
# score: 0.278". Each is one point of the monitored curve, as its best so far.
NEW_BEST = re.compile(
    rf"\bMetric (?P<key>\S+) improved(?: by \S+ >= min_delta = \S+)?\. New best score: (?P<value>{NUM})"
)
# XGBoost's and LightGBM's evaluation lines: "[100]\tvalidation_0-logloss:0.49070\tvalidation_1-auc:0.83",
# "[100]\tvalid_0's binary_logloss: 0.49": the boosting round in brackets, then tab-separated metrics.
BOOSTING_ROUND = re.compile(r"^\[(?P<round>\d+)\]\t(?=\S)")
ROLE_LEAD = re.compile(r"^\W*(?P<role>train(?:ing)?|val(?:id(?:ation)?)?|eval(?:uation)?|test)\b(?!\s*[:=]\s*\d)", re.I)

EPOCH_KEYS = {"epoch", "epochs", "ep", "episode", "episodes"}
STEP_KEYS = {"step", "steps", "global_step", "iteration", "iterations", "iter", "iters", "iteration_step"}
ROLE_WORDS = {"train", "training", "val", "valid", "validation", "eval", "evaluation", "test", "dev"}
NOT_PROGRESS = re.compile(r"(^|_)(lr|learning_rate|time|data|eta|runtime|samples_per_second|steps_per_second)($|_)")
LOOKED_FOR = (
    "kb looked for lines like 'Epoch [1/50], Train Loss: 0.52, Val Acc: 81.2%', 'epoch 3 | loss 0.5 | acc 0.8', "
    "Keras' 'Epoch 3/10' + 'loss: 0.5 - val_loss: 0.6', tqdm's 'loss=0.123, acc=0.95' and printed dicts, and for a "
    "CSV/TSV with a header row or JSON"
)


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Windows PowerShell's `>` writes UTF-16 with a byte order mark


def old_mac_lines(data: bytes | str) -> bool:
    """Lines ended by a bare CR (classic Mac OS, some R and Excel exports): no LF anywhere, several CRs. A tqdm
    bar redrawn with CR always ends in an LF somewhere once the log is more than one line. Bytes (a file's head)
    or text (once decoded)."""
    lf, cr = (b"\n", b"\r") if isinstance(data, bytes) else ("\n", "\r")
    return lf not in data and data.count(cr) >= 2


def decoded(raw: bytes) -> str:
    """Bytes of a log as text: UTF-16 when it starts with its byte order mark, else UTF-8 (bad bytes replaced);
    bare-CR line ends become LF."""
    text = raw.decode("utf-16", errors="replace") if raw.startswith(UTF16_BOMS) else raw.decode("utf-8", "replace")
    text = text.lstrip("\ufeff")
    return text.replace("\r", "\n") if old_mac_lines(text) else text


@dataclass
class Line:
    """What one printed line (or one refresh of a progress bar) says."""

    number: int
    text: str
    metrics: dict[str, float] = field(default_factory=dict)
    epoch: float | None = None
    step: float | None = None
    progress: tuple[int, int] | None = None
    new_best: bool = False  # an early-stopping callback's "New best score" message

    @property
    def template(self) -> tuple[str, ...]:
        return tuple(sorted(self.metrics))


# A part worth parsing holds a digit or a nan/inf value ("'loss': nan" is the line that matters most).
HAS_VALUE = re.compile(r"\d|(?<![a-z])(?:nan|inf)(?![a-z])", re.IGNORECASE)


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def _value(match: re.Match) -> float:
    groups = match.groupdict()
    value = float(groups["value"]) * MAGNITUDE.get(groups.get("magnitude") or "", 1)
    return value / 100 if groups.get("pct") else value


def _message(text: str) -> str:
    """A printed line without its colour codes and logging prefix (timestamp, level, logger name)."""
    return LOG_PREFIX.sub("", ANSI.sub("", text), count=1)


def _unbracketed(body: str) -> str:
    """Counters in brackets, read as if written without: "Epoch [1/50]" -> "Epoch 1/50", "Step [3]" -> "Step 3"."""
    return BRACKETED_COUNT.sub(lambda m: f" {m.group(1)}{(m.group(2) or '').replace(' ', '')}", body)


def read_line(number: int, text: str) -> Line:
    """The counters and metrics of one line of text."""
    line = Line(number, text)
    body = _message(text)
    boosting = BOOSTING_ROUND.match(body)
    if boosting:
        line.step = float(boosting.group("round"))
        body = body[boosting.end() :].replace("'s ", "_")  # LightGBM's "valid_0's binary_logloss"
    best = NEW_BEST.search(body)
    if best:
        line.metrics[_norm(best.group("key"))] = float(best.group("value"))
        line.new_best = True
        return line
    bar = TQDM.match(body)
    if bar:
        line.progress = (int(bar.group("i")), int(bar.group("n")))
        body = f"{bar.group('desc')}, {bar.group('meta') or ''}"
    else:
        keras = KERAS_PROGRESS.match(body)
        if keras:
            line.progress = (int(keras.group("i")), int(keras.group("n")))
            body = body[keras.end() :]
    body = _unbracketed(body)
    lead = ROLE_LEAD.match(body)
    pairs: list[tuple[str, float]] = []
    for part in FIELD_SPLIT.split(body):
        if not HAS_VALUE.search(part):
            continue
        while counter := COUNTER_AT_START.match(part):  # "Epoch 1/10 Step 30 loss: 0.5": the counters first
            pairs.append((counter.group("word"), _value(counter)))
            part = part[counter.end() :].lstrip(" :,-|")
        if not HAS_VALUE.search(part):
            continue
        whole = FIELD_PAIR.match(part.strip())
        if whole:
            pairs.append((whole.group("key"), _value(whole)))
        else:
            pairs += [(m.group("key"), _value(m)) for m in PAIR.finditer(part)]
    role = None
    for key, value in pairs:
        name = _norm(key)
        if name in EPOCH_KEYS:
            line.epoch = value if line.epoch is None else line.epoch
        elif name in STEP_KEYS:
            line.step = value if line.step is None else line.step
        elif name and not set(name.split("_")) <= ROLE_WORDS:
            tokens = set(name.split("_"))
            if role is None:
                role = next((t for t in name.split("_") if t in ROLE_WORDS), "") or (
                    _norm(lead.group("role")) if lead else ""
                )
            if role and not tokens & ROLE_WORDS:
                name = f"{role}_{name}"
            line.metrics.setdefault(name, value)
    return line


NUMBER_TOKEN = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class LineReader:
    """read_line with a memory: lines that differ only in their numbers (the same print statement, thousands of
    times) are parsed once; later ones take their numbers from the same positions. A shape is trusted only after
    a second line of it parsed in full gave the same reading, so a value that matched the wrong number is caught."""

    def __init__(self):
        self.shapes: dict[str, tuple | None] = {}  # shape -> (template, verified), or None: parse every time

    def read(self, number: int, text: str) -> Line:
        tokens = NUMBER_TOKEN.findall(text)
        shape = NUMBER_TOKEN.sub("0", text)
        known = self.shapes.get(shape, ())
        if known and known[1]:
            return _from_template(number, text, tokens, known[0])
        line = read_line(number, text)
        if known == ():
            self.shapes[shape] = (template, False) if (template := _template(line, tokens)) else None
        elif known:
            same = _from_template(number, text, tokens, known[0])
            self.shapes[shape] = (known[0], True) if _same(same, line) else None
        return line


def _template(line: Line, tokens: list[str]) -> tuple | None:
    """Where each value of a parsed line sits among its numbers: ((target, token index, scale), ...)."""
    if line.new_best:
        return None  # rare lines, parsed each time (a template would not carry the flag)
    values = [float(t) for t in tokens]
    used: set[int] = set()
    targets = [("epoch", line.epoch), ("step", line.step)]
    if line.progress:
        targets += [("progress_i", line.progress[0]), ("progress_n", line.progress[1])]
    targets += [(("metric", name), value) for name, value in line.metrics.items()]
    template = []
    for target, value in targets:
        if value is None:
            continue
        found = next(
            ((j, scale) for j, v in enumerate(values) if j not in used for scale in (1, 100) if v == value * scale),
            None,
        )
        if found is None:
            return None
        used.add(found[0])
        template.append((target, *found))
    return tuple(template)


def _from_template(number: int, text: str, tokens: list[str], template: tuple) -> Line:
    line = Line(number, text)
    progress = [0, 0]
    for target, j, scale in template:
        value = float(tokens[j]) / scale
        if target == "epoch":
            line.epoch = value
        elif target == "step":
            line.step = value
        elif target == "progress_i":
            progress[0] = int(value)
        elif target == "progress_n":
            progress[1] = int(value)
        else:
            line.metrics[target[1]] = value
    if any(target == "progress_n" for target, _, _ in template):
        line.progress = (progress[0], progress[1])
    return line


def _same(a: Line, b: Line) -> bool:
    return (a.epoch, a.step, a.progress, a.metrics) == (b.epoch, b.step, b.progress, b.metrics)


def _physical_pieces(text: str):
    """(line number, piece): each line, and each refresh of a progress bar drawn over it with \\r or \\b."""
    for number, raw in enumerate(text.split("\n"), 1):
        if "\r" in raw or "\x08" in raw:
            for piece in re.split(r"\r|\x08+", raw):
                if piece.strip():
                    yield number, piece
        elif raw.strip():
            yield number, raw


def _progress_metrics(line: Line) -> int:
    return sum(not NOT_PROGRESS.search(k) for k in line.metrics)


def read_text(text: str, fmt: str = "text log") -> Table | None:
    """The training rows of a text log as a Table, or None when no line reports training progress."""
    candidates: list[Line] = []
    own_counter: set[tuple] = set()  # templates whose lines carry their own epoch/step or a progress bar
    epochs_seen: dict[tuple, set] = {}
    epoch = step = None
    reader = LineReader()
    validation_next = False  # after a header like "testing in eval mode...": the next metric line is validation's
    for number, piece in _physical_pieces(text):
        if not any(c.isdigit() for c in piece):
            validation_next = validation_next or _opens_validation(piece)
            continue
        line = reader.read(number, piece)
        if validation_next and line.metrics:
            if not any(set(name.split("_")) & ROLE_WORDS for name in line.metrics):
                line.metrics = {f"val_{name}": value for name, value in line.metrics.items()}
            validation_next = False
        if not line.metrics:
            if line.epoch is not None:  # an "Epoch 3/10" header: the rows below belong to it
                epoch = line.epoch
            if line.step is not None:
                step = line.step
            continue
        if _progress_metrics(line) == 0 or "train_runtime" in line.metrics:  # HF's end-of-run summary
            continue
        if line.template not in own_counter and (
            line.progress is not None
            or ((line.epoch is not None or line.step is not None) and _leads_with_counter(line.text))
        ):
            own_counter.add(line.template)
        line.epoch = epoch if line.epoch is None else line.epoch
        line.step = step if line.step is None else line.step
        step = line.step
        candidates.append(line)
        epochs_seen.setdefault(line.template, set()).add(line.epoch)
    counts = Counter(line.template for line in candidates)

    def is_row(line: Line) -> bool:
        if line.template in own_counter or line.new_best:
            return True
        kinds = [kind(k) for k in line.metrics]
        if not any(k in ("loss", "acc", "higher", "lower") for k in kinds):
            return False  # "N Folds: 5", "in_features=4, out_features=512": numbers, not a training metric
        metrics = _progress_metrics(line)
        return (
            len(epochs_seen[line.template] - {None}) >= 2
            or ("loss" in kinds and metrics >= 2)
            or (metrics >= 2 and counts[line.template] >= 3)
            # "Training loss: 0.089" printed once per epoch, with no counter: the print's repeats are the curve
            or ("loss" in kinds and counts[line.template] >= LONE_LOSS_REPEATS)
        )

    rows = _last_refresh_per_bar([line for line in candidates if is_row(line)])
    if not rows:
        return None
    _name_evaluation_lines(rows, own_counter)
    builder = RowBuilder()
    for line in rows:
        counters = {k: v for k, v in (("epoch", line.epoch), ("step", line.step)) if v is not None}
        builder.add({**counters, **line.metrics}, line.number)
    return builder.table(fmt, used=_describe(rows))


def _name_evaluation_lines(rows: list[Line], own_counter: set[tuple]) -> None:
    """Lines of another print statement that report a metric of the training lines under the same name, with no
    counter and no role word of their own, and fewer of them ("Loss: 0.985, MeanIU: 0.496" once per evaluation
    between thousands of "Epoch: [352/520] Iter: [0/495] ... Loss: 1.594" lines) are the evaluation's: their
    metrics become val_*, instead of mixing two curves in one."""
    counts = Counter(line.template for line in rows)
    most: dict[str, int] = {}  # each metric name: the most lines a training print statement with it has
    for template, count in counts.items():
        if template in own_counter:
            for name in template:
                most[name] = max(most.get(name, 0), count)
    evaluation = {
        template
        for template, count in counts.items()
        if template not in own_counter
        and not any(set(name.split("_")) & ROLE_WORDS for name in template)
        and any(most.get(name, 0) > count for name in template)
    }
    if not evaluation:
        return
    for line in rows:  # one pass, however many print statements the log has
        if line.template in evaluation:
            line.metrics = {f"val_{name}": value for name, value in line.metrics.items()}


LONE_LOSS_REPEATS = 5  # a loss alone on its line is a row once the same print has come 5 times


def _leads_with_counter(text: str) -> bool:
    """The line opens with its epoch or step ("(epoch: 1, iters: 20) G_GAN: 2.3", "Epoch [3/10] ..."): a progress
    line. A counter further in may be a setting: "train_seq_len:1024 iterations:20000" is a config line."""
    message = _message(text)
    if BOOSTING_ROUND.match(message):
        return True
    body = _unbracketed(message)
    lead = ROLE_LEAD.match(body)
    body = body[lead.end() :] if lead else body
    return bool(COUNTER_AT_START.match(body.lstrip(" :,-|")))


SECTION_WORD = re.compile(r"[a-z]+")
VAL_HEADER_WORDS = {"test", "testing", "eval", "evaluating", "evaluation", "valid", "validating", "validation", "val"}
# what else a section header may say; "Validation improved, saving model" reports an event and is no header
HEADER_WORDS = VAL_HEADER_WORDS | {"in", "on", "the", "mode", "set", "data", "dataset", "phase", "stage", "step"}
HEADER_WORDS |= {"now", "start", "starting", "started", "begin", "loop", "run", "running", "model", "epoch", "results"}


def _opens_validation(piece: str) -> bool:
    """A short line without numbers that opens with validation ("testing in eval mode...", "Validating:",
    "Evaluation"), for logs that print training and validation with one print statement ("Loading the test set"
    does not count: it does not open with the word)."""
    words = SECTION_WORD.findall(piece.lower())
    return bool(words) and len(words) <= 8 and words[0] in VAL_HEADER_WORDS and set(words) <= HEADER_WORDS


def _last_refresh_per_bar(rows: list[Line]) -> list[Line]:
    """A progress bar redrawn many times in one epoch (tqdm, Keras): its last state is that epoch's row. A bar
    with no epoch around it is the whole run, so each refresh stays, at its own position (i of n) as the step."""
    keep: list[Line] = []
    bar: list[Line] = []

    def close():
        if bar and bar[-1].epoch is not None:
            keep.append(bar[-1])
        else:
            for refresh in bar:
                refresh.step = float(refresh.progress[0]) if refresh.step is None else refresh.step
                keep.append(refresh)
        bar.clear()

    for line in rows:
        if line.progress is None:
            close()
            keep.append(line)
            continue
        if bar and not (
            line.progress[1] == bar[-1].progress[1]
            and line.progress[0] >= bar[-1].progress[0]
            and line.epoch == bar[-1].epoch
        ):
            close()
        bar.append(line)
    close()
    return keep


def _describe(rows: list[Line]) -> str:
    """'read 50 lines like: Epoch [1/50], ...' (and the next most common shape of line, if any)."""
    counts = Counter(line.template for line in rows)
    parts = []
    for template, count in counts.most_common(2):
        example = next(line for line in rows if line.template == template)
        shown = re.sub(r"\s+", " ", _message(example.text)).strip()
        shown = shown if len(shown) <= 90 else shown[:87] + "..."
        parts.append(f"{count} line{'s' if count != 1 else ''} like: {shown} (line {example.number})")
    return "read " + "; and ".join(parts)
