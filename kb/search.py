"""Stage 3: retrieve and rank pages for a query.

Dense: the query vector against every chunk vector (exact cosine; an inverted file for very big libraries); a
page scores by the mean of its best chunk and the average of its best three, so a page that matches in several
places beats one lucky symptom. Lexical: BM25 over each page's whole text, which rewards exact tokens (error
names, API names, library names) that embeddings blur. The final score adds a lexical bonus (BM25 relative to
the best page) to the dense score, in one function, `page_scores`. Confidence comes from the best chunk's
cosine alone: BM25 scores are not comparable across queries. The weights were chosen on tests/eval/queries.yaml
with a two-half split. Measured and not adopted (benchmarks/RESULTS.md): reciprocal rank fusion (top-1 0.80),
BM25 over weighted fields (dev 0.867 but held-out 0.845 < 0.865), title-prefixed chunks, an error-string bonus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import rerank
from .chunks import KINDS
from .index import Index
from .pages import Page
from .query import Query

LEXICAL_WEIGHT = 0.35  # bonus for the page with the best BM25 score; others get it in proportion
DENSE_TOP = 3  # a page's dense score: (best chunk + mean of its best DENSE_TOP chunks) / 2
CONFIDENT_SCORE = 0.42  # best chunk cosine below this = "no confident match"; on the dev set it keeps
# 99.5% of on-topic queries confident and answers 94% of off-topic ones "no confident match"
EXACT_BONUS = 1.0  # a query equal to a page's slug, title or alias, or containing one of its error strings verbatim:
# that page first (ahead of any page without an exact match), and the answer is confident
CANDIDATE_PAGES = 256  # IVF only: pages re-scored exactly, from the best code scores and the best BM25 scores
# (10,000 synthetic pages: fused recall@10 vs exact 0.971 with 64, 1.000 with 256, p50 9.2 vs 9.8 ms)


@dataclass(frozen=True)
class Result:
    """One ranked page. `matched` is the symptom or section of the page closest to the query."""

    slug: str
    title: str
    category: str
    score: float
    summary: str
    matched: str
    matched_kind: str  # "title" | "symptom" | "section"
    snippet: str
    path: str
    related: tuple[str, ...]
    try_first: str
    dense_score: float
    dense_rank: int
    lexical_score: float
    lexical_rank: int | None  # None when no query word occurs in the page

    def to_dict(self) -> dict:
        from .shapes import result_dict

        return result_dict(self)


@dataclass(frozen=True)
class Answer:
    query: str  # what the user gave
    searched: str  # what was embedded (a traceback or log reduced to its telling lines, typos corrected)
    confident: bool
    results: list[Result] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (typed, read as): see kb.spelling

    @property
    def best(self) -> Result | None:
        return self.results[0] if self.results else None

    def to_dict(self) -> dict:
        from .shapes import answer_dict

        return answer_dict(self)


class Searcher:
    """Ranks the pages of an index. `page_of(slug)` gives the full Page of a result (only printed ones are read)."""

    def __init__(self, index: Index, embedder, page_of: Callable[[str], Page]):
        self.index = index
        self.embedder = embedder
        self.page_of = page_of
        self.lexical = index.lexical
        self._hubs: set[int] | None = None

    def dense(self, vector, lexical) -> DenseEvidence:
        """Per page: best chunk cosine, mean of the best DENSE_TOP, row of the best chunk and best cosine per chunk
        kind, as arrays over pages; -inf for pages the approximate (IVF) search did not reach. Exact for every
        candidate page."""
        import numpy as np

        index = self.index
        rows, cosines = index.dense_candidates(vector)
        if rows is not None:  # IVF: re-score the likeliest pages on all their chunks, so they rank exactly
            partial = np.full(len(index), -np.inf, dtype=np.float32)
            np.maximum.at(partial, index.page_of_chunk[rows], cosines)
            top_dense, top_lexical = _top(partial, CANDIDATE_PAGES), _top(lexical, CANDIDATE_PAGES)
            pages = np.union1d(top_dense[np.isfinite(partial[top_dense])], top_lexical[lexical[top_lexical] > 0])
            rows = np.concatenate([np.arange(index.page_first[p], index.page_first[p + 1]) for p in pages])
            cosines = index.vectors[rows] @ vector
        else:
            rows = np.arange(len(cosines))
        page = index.page_of_chunk[rows]
        by_kind = {}
        kinds = np.asarray(index.chunk_kinds)[rows]
        for number, kind in enumerate(KINDS):
            best_of_kind = np.full(len(index), -np.inf, dtype=np.float32)
            mask = kinds == number
            np.maximum.at(best_of_kind, page[mask], cosines[mask])
            by_kind[kind] = best_of_kind
        order = np.lexsort((-cosines, page))  # grouped by page, best chunk first
        page, cosines, rows = page[order], cosines[order], rows[order]
        starts = np.flatnonzero(np.r_[True, page[1:] != page[:-1]])
        position = np.arange(len(page)) - np.repeat(starts, np.diff(np.r_[starts, len(page)]))
        keep = position < DENSE_TOP
        best = np.full(len(index), -np.inf, dtype=np.float32)
        top_mean = np.full(len(index), -np.inf, dtype=np.float32)
        best_row = np.full(len(index), -1, dtype=np.int64)
        best[page[starts]] = cosines[starts]
        best_row[page[starts]] = rows[starts]
        sums = np.bincount(page[keep], weights=cosines[keep], minlength=len(index))
        counts = np.bincount(page[keep], minlength=len(index))
        reached = counts > 0
        top_mean[reached] = sums[reached] / counts[reached]
        return DenseEvidence(best, top_mean, best_row, by_kind)

    def first_stage(self, query: Query, mode: str = "fused") -> FirstStage:
        """Everything the first stage knows about every page: dense and lexical evidence, exact matches, the fused
        score (page_scores in `mode`), ranks, and the order it ranks reached pages in."""
        import numpy as np

        index = self.index
        vector = self.embedder.encode([query.searched])[0]
        if not np.isfinite(vector).all():
            from .errors import ModelError

            raise ModelError("the embedding model returned NaN for the query; its files are damaged (kb cache --clear)")
        lexical = self.lexical.scores(query.searched)
        exact = np.zeros(len(index), dtype=np.float32)
        if index.exact is not None:
            exact[sorted(set().union(*(index.exact.pages(text) for text in query.exact_texts)))] = 1.0
        evidence = self.dense(vector, lexical + exact)
        first_mode = mode if mode in ("dense", "lexical") else "fused"
        scores = page_scores(evidence.best, evidence.top_mean, lexical, first_mode, exact)
        reached = np.isfinite(evidence.best)
        order = np.array([int(i) for i in np.argsort(-scores, kind="stable") if reached[i]], dtype=np.int64)
        dense = page_scores(evidence.best, evidence.top_mean, lexical, "dense")
        dense_rank = np.empty(len(index), dtype=np.int64)
        dense_rank[np.argsort(-np.where(reached, dense, -np.inf), kind="stable")] = np.arange(1, len(index) + 1)
        lexical_rank = np.empty(len(index), dtype=np.int64)
        lexical_rank[np.argsort(-lexical, kind="stable")] = np.arange(1, len(index) + 1)
        top_lexical = float(lexical.max()) if len(lexical) else 0.0
        return FirstStage(
            evidence.best,
            evidence.top_mean,
            evidence.best_row,
            evidence.by_kind,
            dense,
            lexical,
            lexical / top_lexical if top_lexical > 0 else lexical * 0.0,
            exact,
            scores,
            dense_rank,
            lexical_rank,
            order,
            vector,
        )

    def candidates(self, query: Query, stage: FirstStage) -> tuple[list[int], list[list[float]], float]:
        """The first stage's top rerank.CANDIDATES pages with their PAGE_FEATURES, and the share of the query's rare
        words that no page contains (what the reranker and the calibrator read; also what they are fitted on)."""
        import numpy as np

        candidates = [int(i) for i in stage.order[: rerank.CANDIDATES]]
        covered, unknown = rerank.coverage(self.lexical, self.lexical.tokens(query.searched), candidates)
        stage.coverage = np.zeros(len(self.index))
        stage.coverage[candidates] = covered
        feats = rerank.page_features(stage, candidates, len(query.searched.split()), self._hub_rows())
        return candidates, feats, unknown

    def rerank(self, query: Query, stage: FirstStage, model) -> tuple[list[int], list[float], list[list[float]], float]:
        """The candidates ranked again by `model`'s reranker: (pages in the new order, their scores, their
        PAGE_FEATURES, the share of the query's rare words no page contains)."""
        import numpy as np

        candidates, feats, unknown = self.candidates(query, stage)
        scores = model.reranker(feats) if feats else np.zeros(0)
        # An exact match (slug, title, alias, a verbatim error string) stays first, as in the first stage: a user
        # who types a page's name gets that page, whatever the learned weights make of it.
        # (lifted by one above the best other page, so the scores still read best first).
        exact = np.asarray([stage.exact[i] > 0 for i in candidates], dtype=bool)
        if exact.any():
            scores = scores + exact * (float(scores.max()) - float(scores[exact].min()) + 1.0)
        new_order = np.argsort(-scores, kind="stable")
        return (
            [candidates[j] for j in new_order],
            [float(scores[j]) for j in new_order],
            [feats[j] for j in new_order],
            unknown,
        )

    @staticmethod
    def _first_stage_confident(stage: FirstStage, mode: str) -> bool:
        """The first stage's rule: the best chunk's cosine reaches CONFIDENT_SCORE, or an exact match (not for the
        dense and lexical halves alone)."""
        import numpy as np

        reached = np.isfinite(stage.best)
        exact = bool(stage.exact.any()) and mode not in ("dense", "lexical")
        return bool(reached.any()) and float(stage.best[reached].max()) >= CONFIDENT_SCORE or exact

    def _hub_rows(self) -> set[int]:
        if self._hubs is None:  # the pages in the goals category, by the folder each page file is in
            from pathlib import Path

            paths = self.index.page_paths
            self._hubs = {i for i, path in enumerate(paths) if Path(path).parent.name == rerank.HUB_CATEGORY}
        return self._hubs

    def search(self, query: Query, k: int = 3, mode: str = "calibrated", first: str | None = None) -> Answer:
        """The k best pages for a query (kb.query.make_query). `mode`: "calibrated" (the default: the first
        stage, the learned reranker and the calibrated `confident`), "reranked" (the reranker with the first
        stage's `confident`), "fused" (the first stage alone), or "dense" / "lexical" alone (for benchmarks).
        `first` puts that page first, at its own scores (kb.Engine.ask: the page a training log's diagnosis
        names)."""
        index = self.index
        searched = query.searched
        if not len(index):
            return Answer(query.text, searched, False, [], list(query.corrections))
        stage = self.first_stage(query, mode)
        model = rerank.model_for(index.model) if mode in ("reranked", "calibrated") else None
        ranked, scores = [int(i) for i in stage.order], {int(i): float(stage.scores[i]) for i in stage.order}
        confident = None
        if model is not None and len(ranked):
            top, top_scores, feats, unknown = self.rerank(query, stage, model)
            ranked = top + ranked[len(top) :]
            scores.update(zip(top, top_scores))
            if mode == "calibrated":
                answer_feats = rerank.answer_features(
                    top_scores, feats, unknown, bool(stage.exact.any()), len(searched.split())
                )
                words = rerank.query_words(searched, self.lexical.stopwords)
                probability = rerank.probability(model.calibrator.logit(answer_feats, stage.vector, words))
                # a page must pass both: the first stage's rule (below) and the calibrator; an exact match always
                confident = (probability >= model.threshold and self._first_stage_confident(stage, mode)) or bool(
                    stage.exact.any()
                )
        if first is not None and first in index.page_row:
            pinned = index.page_row[first]
            ranked = [pinned] + [i for i in ranked if i != pinned]
            scores.setdefault(pinned, float(stage.scores[pinned]))
            if stage.best_row[pinned] < 0:  # the approximate search did not reach it: its first chunk stands in
                stage.best_row[pinned] = index.page_first[pinned]
        results = []
        for i in ranked:
            if len(results) == k:
                break
            page = self.page_of(index.slugs[i])
            if page is None:  # moved or deleted since the index was read: the next page takes its place
                continue
            chunk = index.chunk(int(stage.best_row[i]))
            results.append(
                Result(
                    slug=page.slug,
                    title=page.title,
                    category=page.category,
                    score=scores[i],
                    summary=page.summary,
                    matched=chunk.label if chunk.kind != "section" else f"{chunk.label}: {_excerpt(chunk.text)}",
                    matched_kind=chunk.kind,
                    snippet=page.snippet,
                    path=str(page.path),
                    related=tuple(r for r in page.related if r in index.page_row),
                    try_first=page.try_first,
                    dense_score=float(stage.dense[i]),
                    dense_rank=int(stage.dense_rank[i]),
                    lexical_score=float(stage.lexical[i]),
                    lexical_rank=int(stage.lexical_rank[i]) if stage.lexical[i] > 0 else None,
                )
            )
        if confident is None:
            confident = self._first_stage_confident(stage, mode)
        return Answer(query.text, searched, bool(results) and confident, results, list(query.corrections))


@dataclass
class DenseEvidence:
    best: object  # float32 over pages
    top_mean: object
    best_row: object  # int64 over pages: the row of the best chunk
    by_kind: dict  # kind -> float32 over pages: the best cosine among that kind of chunk


@dataclass
class FirstStage:
    """The first stage's evidence about every page (arrays over Index.slugs order) and its order."""

    best: object
    top_mean: object
    best_row: object
    by_kind: dict
    dense: object  # page_scores(..., "dense")
    lexical: object  # BM25
    lexical_norm: object  # BM25 / max
    exact: object  # 1.0 for exact matches
    scores: object  # page_scores in the first stage's mode
    dense_rank: object
    lexical_rank: object
    order: object  # pages reached, best first
    vector: object  # the query's embedding
    coverage: object = None  # filled for the reranker's candidates (kb.rerank.coverage)


def page_scores(best, top_mean, bm25, mode: str = "fused", exact=None):
    """THE ranking, per page (numpy float arrays over pages, in Index.slugs order):

        dense = (best + top_mean) / 2      best: cosine of the page's best chunk; top_mean: mean cosine of its
                                            best DENSE_TOP chunks (fewer if the page has fewer)
        fused = dense + LEXICAL_WEIGHT * bm25 / max(bm25)    (max over all pages; the term is 0 when every
                                            page's BM25 is 0)
                + EXACT_BONUS * exact       exact: 1 for pages the query matches exactly (kb.exact.ExactIndex),
                                            else 0

    Pages sort by descending score (ties: index order). "dense" and "lexical" modes are the two halves alone.
    """
    top = float(bm25.max()) if len(bm25) else 0.0
    lexical = bm25 / top if top > 0 else bm25 * 0.0
    if mode == "lexical":
        return lexical
    dense = (best + top_mean) / 2
    if mode == "dense":
        return dense
    return dense + LEXICAL_WEIGHT * lexical + (EXACT_BONUS * exact if exact is not None else 0.0)


def _top(values, n: int):
    """Indices of the n largest values (unordered)."""
    import numpy as np

    return np.argpartition(-values, n - 1)[:n] if len(values) > n else np.arange(len(values))


def _excerpt(text: str, words: int = 24) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")
