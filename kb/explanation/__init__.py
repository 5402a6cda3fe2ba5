"""`kb explain`: read a training script or notebook without running it, and name its knobs, likely mistakes and
where to start.

A wing of its own: source (file -> parsed cells) -> code (names resolved) -> knobs and mistakes (one finder per
framework, one function per rule) -> report (text, Markdown, JSON). It reads the code with Python's `ast` only
and never imports the search engine: the pages it names are handed in (kb.Engine.explain passes its own).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from . import knobs_hub, knobs_keras, knobs_sklearn, knobs_torch
from .code import Code
from .findings import Explanation, Kind, Knob, Mistake
from .knobs import (
    KINDS,
    Found,
    batch_size_fallback,
    dropout_arguments,
    framework_of,
    merged,
    read_keywords,
    settings_defined,
)
from .mistakes import LOOP_RULES, RULES
from .mistakes_setup import SETUP_RULES
from .objects import Objects
from .sentences import sentence_for
from .source import MAX_CODE_BYTES, MAX_NOTEBOOK_BYTES, NotPython, Source, read_bytes, read_file, read_text

# Where to start, after the Tuning Playbook: the learning rate first; then the optimizer's other hyperparameters,
# the schedule, the training length, regularization, and the batch size (which sets speed more than quality).
START_GROUPS = (
    ("learning_rate", "optimizer"),
    ("momentum", "betas"),
    ("lr_schedule", "warmup"),
    ("epochs", "max_steps"),
    ("weight_decay", "dropout", "augmentation", "label_smoothing"),
    ("batch_size",),
)
SKLEARN_START = (("model_estimator",), ("input_normalization",))


CALL_FINDERS = knobs_torch.CALLS + knobs_keras.CALLS + knobs_hub.CALLS + knobs_sklearn.CALLS
STATEMENT_FINDERS = knobs_torch.STATEMENTS + knobs_keras.STATEMENTS + knobs_hub.STATEMENTS + knobs_sklearn.STATEMENTS


def find_knobs(code: Code) -> list[Knob]:
    """Every knob, in the order the code uses them: each call goes to the first finder that claims it (else its
    keywords are read through kb.explanation.knobs.KEYWORDS), then the finders of statements (loops, `x /= 255`)."""
    found = Found(code)
    for call in code.calls:
        if not any(finder(found, call) for finder in CALL_FINDERS):
            read_keywords(found, call, framework_of(code, call))
            dropout_arguments(found, call, framework_of(code, call))
    for finder in STATEMENT_FINDERS:
        finder(found)
    batch_size_fallback(found)
    settings_defined(found)
    return merged(found.knobs)


def find_mistakes(code: Code) -> list[Mistake]:
    objects = Objects(code)
    found = [m for rule in LOOP_RULES + SETUP_RULES for m in rule(code, objects)]
    return sorted(found, key=lambda m: m.order)


def where_to_start(knobs: list[Knob], limit: int = 3) -> list[Knob]:
    """The learning rate first (its optimizer when the rate is left at the default), then one knob from each next
    group the script sets, up to `limit`; for scikit-learn, the estimator's hyperparameters, then the scaling."""
    kinds = {k.kind for k in knobs}
    tabular = "model_estimator" in kinds and not kinds & {"learning_rate", "optimizer"}
    groups = SKLEARN_START if tabular else START_GROUPS
    start = []
    for group in groups:
        kind = next((k for k in group if k in kinds), None)
        if kind is not None:
            start.append(next(k for k in knobs if k.kind == kind))
        if len(start) == limit:
            break
    return start


def explain_source(source: Source, pages: dict | None = None) -> Explanation:
    """Knobs, likely mistakes and where to start for parsed code. `pages` maps slugs to Pages (kb.Engine passes its
    library): a knob or mistake is linked only to a page that exists, with one sentence from it; without `pages`
    the slugs are kept as they are and no sentence is given."""
    code = Code(source)
    knobs, mistakes = find_knobs(code), find_mistakes(code)
    named: dict = {}
    if pages is not None:
        linked = []
        for knob in knobs:
            page = pages.get(knob.slug)
            sentence = sentence_for(page, KINDS[knob.kind].words) if page is not None else None
            linked.append(replace(knob, slug=knob.slug if page is not None else None, sentence=sentence))
            if page is not None:
                named[page.slug] = page
        knobs = linked
        mistakes = [replace(m, slug=m.slug if m.slug in pages else None) for m in mistakes]
        named.update({m.slug: pages[m.slug] for m in mistakes if m.slug})
    frameworks = sorted(code.frameworks | {k.framework for k in knobs if k.framework})
    return Explanation(
        name=source.name,
        kind=source.kind,
        frameworks=frameworks,
        knobs=knobs,
        mistakes=mistakes,
        start=where_to_start(knobs),
        notes=list(source.notes),
        pages=named,
    )


def explain_file(path: str | Path, pages: dict | None = None, name: str | None = None) -> Explanation:
    """Explain a `.py` script or an `.ipynb` notebook ("-" reads stdin; `name` labels it). Raises
    kb.errors.UsageError (exit code 2) for a file that is missing, too big, or not Python."""
    return explain_source(read_file(path, name), pages)


def explain_text(text: str, pages: dict | None = None, name: str = "<code>") -> Explanation:
    """Explain code given as text (a notebook's JSON is recognised), e.g. an editor buffer or an agent's paste."""
    return explain_source(read_text(text, name), pages)


__all__ = [
    "KINDS",
    "MAX_CODE_BYTES",
    "MAX_NOTEBOOK_BYTES",
    "RULES",
    "Explanation",
    "Kind",
    "Knob",
    "Mistake",
    "NotPython",
    "explain_file",
    "explain_source",
    "explain_text",
    "read_bytes",
    "where_to_start",
]
