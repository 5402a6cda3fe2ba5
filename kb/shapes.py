"""The JSON shapes of kb's public interface (kb ask/show/list/eval/diagnose --json, MCP), each built in one place.

Fields are only ever added within a `version`; README documents them.
"""

from __future__ import annotations

import math

JSON_VERSION = 1
QUERY_ECHO_CHARS = 2000  # a pasted 10 MB log is not echoed back whole: its start and end, and a flag


def result_dict(result) -> dict:
    """One ranked page of an answer (kb.search.Result)."""
    return {
        "slug": result.slug,
        "title": result.title,
        "category": result.category,
        "score": round(result.score, 4),
        "summary": result.summary,
        "matched": result.matched,
        "snippet": result.snippet,
        "path": result.path,
        "related": list(result.related),
    }


def explain_dict(result, searched: str) -> dict:
    """Why a result ranked where it did (`kb ask --explain`)."""
    return {
        "dense_score": round(result.dense_score, 4),
        "dense_rank": result.dense_rank,
        "lexical_score": round(result.lexical_score, 4),
        "lexical_rank": result.lexical_rank,
        "matched_kind": result.matched_kind,
        "searched": searched,
    }


def answer_dict(answer, explain: bool = False, try_first: bool = False) -> dict:
    """An answer (kb.search.Answer) without the version: `kb.ask(...).to_dict()`."""
    results = []
    for result in answer.results:
        item = result_dict(result)
        if try_first:
            item["try_first"] = result.try_first
        if explain:
            item["explain"] = explain_dict(result, answer.searched)
        results.append(item)
    data = {
        "query": echoed(answer.query),
        "confident": answer.confident,
        "results": results,
        "corrections": [{"typed": typed, "read_as": read} for typed, read in answer.corrections],
    }
    if len(answer.query) > QUERY_ECHO_CHARS:
        data["query_truncated"] = True
    return data


def echoed(query: str) -> str:
    """The query as the JSON echoes it: whole, or its first and last QUERY_ECHO_CHARS / 2 characters."""
    if len(query) <= QUERY_ECHO_CHARS:
        return query
    half = QUERY_ECHO_CHARS // 2
    return f"{query[:half]} [... {len(query) - 2 * half} characters ...] {query[-half:]}"


def answer_json(answer, explain: bool = False, try_first: bool = False) -> dict:
    """`kb ask --json` and the MCP `ask` tool."""
    return {"version": JSON_VERSION, **answer_dict(answer, explain, try_first)}


def page_dict(page) -> dict:
    """A page's fields (`kb show --format json`, MCP `show`)."""
    return {
        "slug": page.slug,
        "title": page.title,
        "category": page.category,
        "summary": page.summary,
        "symptoms": list(page.symptoms),
        "aliases": list(page.aliases),
        "related": list(page.related),
        "sources": list(page.sources),
        "snippet": page.snippet,
        "path": str(page.path),
        "origin": page.origin,
    }


def page_list_item(page) -> dict:
    """A row of `kb list --json`: the page's fields without its snippet."""
    return {k: v for k, v in page_dict(page).items() if k != "snippet"}


def number(value):
    """JSON has no nan/inf: those become strings, round numbers stay numbers."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return int(value) if value.is_integer() else round(value, 6)


def finding_dict(finding) -> dict:
    """One finding of `kb diagnose` (kb.diagnose.findings.Finding)."""
    return {
        "id": finding.id,
        "title": finding.title,
        "severity": finding.severity,
        "confidence": finding.confidence,
        "evidence": finding.evidence,
        "rule": finding.rule,
        "slugs": list(finding.slugs),
        "data": finding.data,
        "events": [{"x": number(e.x), "label": e.label} for e in finding.events],
        "advice": list(finding.advice),
    }


def diagnosis_dict(diagnosis) -> dict:
    """`kb.diagnose(...).to_dict()`, without the version."""
    log, top = diagnosis.log, diagnosis.top_page

    def name(series):
        return None if series is None else series.name

    return {
        "file": str(log.path),
        "format": log.format,
        "x": log.x_name,
        "columns": {
            "train": name(log.train),
            "val": name(log.val),
            "train_acc": name(log.train_acc),
            "val_acc": name(log.val_acc),
            "all": list(log.columns),
        },
        "notes": list(log.notes),
        "read": log.source,
        "runs": list(log.runs),
        "healthy": diagnosis.healthy,
        "main": diagnosis.main.id if diagnosis.main is not None else "healthy",
        "summary": diagnosis.summary,
        "findings": [finding_dict(f) for f in diagnosis.findings],
        "top": None
        if top is None
        else {
            "slug": top.slug,
            "title": top.title,
            "category": top.category,
            "summary": top.summary,
            "try_first": top.try_first,
            "snippet": top.snippet,
            "path": str(top.path),
        },
    }


def diagnosis_json(diagnosis) -> dict:
    """`kb diagnose --json`."""
    return {"version": JSON_VERSION, **diagnosis_dict(diagnosis)}


def eval_dict(report) -> dict:
    """`kb eval --json` (kb.evaluate.EvalReport)."""
    return {
        "total": report.total,
        "top1": round(report.top1, 4),
        "top3": round(report.top3, 4),
        "mrr": round(report.mrr, 4),
        "off_topic": report.off_topic,
        "no_match_rate": round(report.no_match_rate, 4),
        "on_topic_not_confident": report.on_topic_not_confident,
        "by_kind": report.by_kind,
        "misses": report.misses,
    }


def knob_dict(knob) -> dict:
    """One knob of `kb explain` (kb.explanation.Knob)."""
    return {
        "kind": knob.kind,
        "label": knob.label,
        "cell": knob.cell,
        "line": knob.line,
        "value": knob.value,
        "resolved": knob.resolved,
        "resolved_from": knob.resolved_from,
        "framework": knob.framework or None,
        "page": knob.slug,
        "sentence": knob.sentence,
    }


def mistake_dict(mistake) -> dict:
    """One likely mistake of `kb explain` (kb.explanation.Mistake)."""
    return {
        "id": mistake.id,
        "title": mistake.title,
        "cell": mistake.cell,
        "line": mistake.line,
        "end_line": mistake.end_line,
        "evidence": mistake.evidence,
        "why": mistake.why,
        "page": mistake.slug,
        "severity": mistake.severity,
    }


def explanation_dict(explanation) -> dict:
    """`kb.explain(...).to_dict()`, without the version."""
    return {
        "file": explanation.name,
        "kind": explanation.kind,
        "frameworks": list(explanation.frameworks),
        "knobs": [knob_dict(k) for k in explanation.knobs],
        "mistakes": [mistake_dict(m) for m in explanation.mistakes],
        "start": [{"kind": k.kind, "label": k.label, "cell": k.cell, "line": k.line} for k in explanation.start],
        "notes": list(explanation.notes),
        "pages": {
            slug: {"title": page.title, "category": page.category, "path": str(page.path)}
            for slug, page in explanation.pages.items()
        },
    }


def explanation_json(explanation) -> dict:
    """`kb explain --json` and the MCP `explain` tool."""
    return {"version": JSON_VERSION, **explanation_dict(explanation)}
