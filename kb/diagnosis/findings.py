"""What `kb diagnose` finds: `Finding`s (each with evidence, the rule, confidence and pages) and the `Diagnosis`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..shapes import diagnosis_dict, finding_dict

if TYPE_CHECKING:
    from .logs import TrainingLog

CONFIDENCES = ("high", "medium", "low")

SEVERITY_ORDER = {"problem": 0, "advice": 1}

# What a finding tells the user to do, as tags (--json "advice"): the words the blind labels of the real-log
# corpus use, so the evaluation can check that no finding gives advice an expert calls wrong for that run.
ADVICE = (
    "train-longer",
    "early-stop",
    "add-regularization",
    "lower-lr",
    "raise-lr",
    "check-data",
    "check-leakage",
    "rebalance-classes",
)

# Findings that say where a run stands rather than what is wrong: one of them is the headline of a run with no
# problem ("Plateau since epoch 22"), before "healthy".
STATE_IDS = ("restarted-runs", "plateau", "still-improving", "val-below-train")


@dataclass(frozen=True)
class Event:
    """A point to mark on the chart."""

    x: float
    label: str


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    severity: str  # "problem", or "advice" (worth knowing, not a fault: a healthy run can have advice)
    confidence: str  # high, medium or low; each rule documents when
    evidence: str  # what was seen, with steps/epochs and values
    rule: str  # the rule and its thresholds, in words
    slugs: tuple[str, ...]  # concept pages, best first
    data: dict = field(default_factory=dict)  # the evidence as numbers, for --json
    events: tuple[Event, ...] = ()
    advice: tuple[str, ...] = ()  # what the evidence tells the user to do, from ADVICE

    def to_dict(self) -> dict:
        return finding_dict(self)


@dataclass
class Diagnosis:
    log: TrainingLog
    findings: list[Finding]
    summary: str  # the curves in one line
    pages: dict = field(default_factory=dict)  # slug -> Page for every slug the findings name

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def healthy(self) -> bool:
        return not self.problems and not any(f.id == "not-enough-data" for f in self.findings)

    @property
    def main(self) -> Finding | None:
        """The headline: the first finding when it is a problem, several runs in one log, or where a run with no
        problem stands (a plateau, still improving); None for a healthy run. Findings come main first."""
        if self.findings and (self.findings[0].severity == "problem" or self.findings[0].id in STATE_IDS):
            return self.findings[0]
        return None

    @property
    def top_page(self):
        """The page for the most important finding: the first slug of the first finding."""
        for finding in self.findings:
            for slug in finding.slugs:
                if slug in self.pages:
                    return self.pages[slug]
        return None

    def to_dict(self) -> dict:
        return diagnosis_dict(self)
