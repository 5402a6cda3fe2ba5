"""`kb eval`: how often the right page comes first, on a YAML list of `{q: str, expect: [slug, ...]}`.

An entry with `expect: []` has no answering page (off-topic, or a question no page covers): kb should answer "no
confident match" for it. Entries may carry other fields (tests/eval/real.yaml: half, kind, scope, url): `where`
selects on them (`kb eval real.yaml --where half=dev`), and the report breaks top-1 down by `kind`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import UsageError


@dataclass(frozen=True)
class EvalCase:
    query: str
    expect: tuple[str, ...]
    fields: dict = field(default_factory=dict, compare=False)  # the entry's other fields (half, kind, scope, ...)


@dataclass
class EvalReport:
    total: int = 0
    top1: float = 0.0
    top3: float = 0.0
    mrr: float = 0.0
    off_topic: int = 0
    no_match_rate: float = 0.0  # share of off-topic queries answered "no confident match"
    on_topic_not_confident: int = 0
    misses: list[dict] = field(default_factory=list)  # on-topic queries whose expected page was not first
    by_kind: dict = field(default_factory=dict)  # kind -> {"total": n, "top1": share}, when entries have a kind

    def to_dict(self) -> dict:
        from .shapes import eval_dict

        return eval_dict(self)


MAX_EVAL_BYTES = 50 * 1024 * 1024


def load_cases(path: Path, where: dict[str, str] | None = None) -> list[EvalCase]:
    """The entries of an eval file; with `where`, only those whose fields equal every given value."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_EVAL_BYTES + 1)
        if len(raw) > MAX_EVAL_BYTES:
            raise UsageError(f"{path}: more than {MAX_EVAL_BYTES // 2**20} MB; not an eval file")
        data = yaml.load(raw.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C: ~20x faster
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (yaml.YAMLError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"{path}: bad YAML: {reason}") from None
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a YAML list of {{q: ..., expect: [slug, ...]}}")
    cases = []
    for i, item in enumerate(data, 1):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("q"), str)
            or not isinstance(item.get("expect", []) or [], list)
            or not all(isinstance(slug, str) for slug in item.get("expect") or [])
        ):
            raise UsageError(f"{path}: entry {i} is not {{q: str, expect: [slug, ...]}}")
        extra = {k: v for k, v in item.items() if k not in ("q", "expect")}
        if where and any(str(extra.get(key)) != value for key, value in where.items()):
            continue
        cases.append(EvalCase(item["q"], tuple(item.get("expect") or ()), extra))
    if where and not cases:
        raise UsageError(f"{path}: no entry has {', '.join(f'{k}={v}' for k, v in where.items())}")
    return cases


def evaluate(engine, cases: list[EvalCase], depth: int = 10, mode: str = "calibrated") -> EvalReport:
    report = EvalReport()
    unknown = sorted({s for c in cases for s in c.expect if s not in engine.library.pages})
    if unknown:
        raise UsageError(f"the eval file expects pages that do not exist: {', '.join(unknown)}")
    on_topic = [c for c in cases if c.expect]
    off_topic = [c for c in cases if not c.expect]
    hits1 = hits3 = 0
    reciprocal = 0.0
    kinds: dict[str, list[int]] = {}
    for case in on_topic:
        answer = engine.ask(case.query, k=depth, mode=mode)
        ranked = [r.slug for r in answer.results]
        rank = next((i + 1 for i, slug in enumerate(ranked) if slug in case.expect), None)
        hits1 += rank == 1
        if case.fields.get("kind"):
            kinds.setdefault(str(case.fields["kind"]), []).append(rank == 1)
        hits3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        report.on_topic_not_confident += not answer.confident
        if rank != 1:
            report.misses.append({"q": case.query, "expect": list(case.expect), "got": ranked[:3], "rank": rank})
    no_match = sum(not engine.ask(c.query, k=3, mode=mode).confident for c in off_topic)
    n = len(on_topic) or 1
    report.total, report.top1, report.top3, report.mrr = len(on_topic), hits1 / n, hits3 / n, reciprocal / n
    report.off_topic = len(off_topic)
    report.no_match_rate = no_match / len(off_topic) if off_topic else 0.0
    report.by_kind = {k: {"total": len(hits), "top1": round(sum(hits) / len(hits), 4)} for k, hits in kinds.items()}
    return report
