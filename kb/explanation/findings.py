"""What `kb explain` finds: `Knob`s, likely `Mistake`s, and the `Explanation` of one script or notebook."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..shapes import explanation_dict


@dataclass(frozen=True)
class Kind:
    """A kind of knob: its name for people, the page that explains it, and the words that name it on a page."""

    label: str
    page: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Knob:
    kind: str  # one of kb.explanation.knobs.KINDS
    label: str  # the kind for people: "learning rate", "number of epochs"
    line: int  # 1-based, in the file or (for a notebook) in the cell
    cell: int | None  # notebook cell: 0-based index in the notebook's cells list; None for a script
    value: str  # the expression as written
    resolved: str | None = None  # what a name in `value` is set to, when kb can tell (a constant, a default)
    resolved_from: str | None = None  # where: "line 16", "default of train()", "passed to Lit() on line 9"
    framework: str = ""  # pytorch, keras, hf, lightning, sklearn (the library whose call sets it)
    slug: str | None = None  # the page to read (None when the library has no such page)
    sentence: str | None = None  # one sentence from that page on what changing it does
    order: tuple = field(default=(), compare=False, repr=False)  # position in the code, for sorting
    group: int | None = field(default=None, compare=False, repr=False)  # knobs of one call, merged per line


@dataclass(frozen=True)
class Mistake:
    id: str  # the rule, e.g. "missing-no-grad" (the list is in kb.explanation.mistakes.RULES)
    title: str  # one line
    line: int  # where to look first
    cell: int | None
    end_line: int  # the code the finding is about spans line..end_line
    evidence: str  # what was seen, with lines
    why: str  # why it matters and what to do
    slug: str | None = None
    order: tuple = field(default=(), compare=False, repr=False)
    # "likely": a bug in most code that has it. "minor": worth a look, but little is lost as it is (blind reviewers
    # did not call it a mistake, maintainers would still change it) or the file does not show enough to be sure
    # (a dataset class defined elsewhere): shown apart, and it does not make `kb explain` exit 1.
    severity: str = "likely"


@dataclass
class Explanation:
    name: str  # the file name, or "<stdin>"
    kind: str  # "script" or "notebook"
    frameworks: list[str]
    knobs: list[Knob]
    mistakes: list[Mistake]
    start: list[Knob]  # where to start: the 2-3 knobs most worth trying first, best first
    notes: list[str] = field(default_factory=list)  # what was skipped (cells or lines that do not parse)
    pages: dict = field(default_factory=dict)  # slug -> Page, for every slug named

    @property
    def likely_mistakes(self) -> list[Mistake]:
        return [m for m in self.mistakes if m.severity == "likely"]

    @property
    def minor_points(self) -> list[Mistake]:
        return [m for m in self.mistakes if m.severity == "minor"]

    def to_dict(self) -> dict:
        return explanation_dict(self)
