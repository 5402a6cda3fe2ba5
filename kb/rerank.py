"""Stage 3c: a learned second look at the best candidates, and a calibrated "is any page about this at all?".

The first stage (kb.search.page_scores) ranks every page by a fixed formula tuned on kb's own wording. Real users
write differently, so the top CANDIDATES pages are ranked again by a linear model over richer evidence (each kind
of chunk separately, lexical coverage of the query weighted by rarity, exact matches, the first stage's ranks),
and a second linear model reads the evidence of the winner to decide `confident`. Both are fitted on the dev
halves of the real-question set and the self-written dev set (benchmarks/train_ranker.py), never on a held-out
set, and stored as plain numbers in kb/ranking.json, so the site's JavaScript (kb/site/web/ranking.js) computes
exactly the same thing.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("ranking.json")
CANDIDATES = 50  # pages the reranker looks at again: every page `kb ask -k` can show (its maximum is 50)
HUB_CATEGORY = "goals"
# The evidence for one (query, page) pair, in this order (JavaScript computes the same list):
PAGE_FEATURES = (
    "dense",  # (best chunk + mean of best 3) / 2: the first stage's dense score
    "best",  # the page's best chunk cosine
    "title",  # cosine of its title + summary chunk
    "symptom",  # its best symptom cosine
    "section",  # its best prose-section cosine
    "lexical",  # BM25 relative to the best page
    "bm25",  # log(1 + BM25)
    "coverage",  # share of the query's rare words (by idf) that occur in the page
    "exact",  # the query matches the page exactly (slug, title, alias, error string)
    "dense_rr",  # 1 / its rank by the dense score
    "lexical_rr",  # 1 / its rank by BM25 (0 when no word is shared)
    "hub",  # a goals page (a route for vague questions)
    "hub_x_short",  # hub x (query of at most 8 words): vague goals are short
)
# The evidence about a whole answer, for `confident`:
ANSWER_FEATURES = (
    "top_score",  # the reranker's score of the first page
    "margin",  # its lead over the second
    "top_best",  # the first page's best chunk cosine
    "top_coverage",  # how much of the query's rare vocabulary the first page contains
    "unknown",  # share of the query's rare vocabulary that no page contains at all
    "exact",  # any exact match
    "log_words",  # log(1 + number of query words)
)


@dataclass(frozen=True)
class LinearModel:
    """w . ((x - mean) / scale) + bias, with the standardization it was fitted with."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def __call__(self, x):
        import numpy as np

        z = (np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.weights) + self.bias

    @classmethod
    def from_dict(cls, data: dict) -> LinearModel:
        return cls(
            tuple(data["names"]), tuple(data["weights"]), float(data["bias"]), tuple(data["mean"]), tuple(data["scale"])
        )

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "mean": [round(m, 6) for m in self.mean],
            "scale": [round(s, 6) for s in self.scale],
        }


@dataclass(frozen=True)
class Calibrator:
    """P(a page covers this question), a logistic model over three kinds of evidence: the reranked answer's
    ANSWER_FEATURES (standardized), the query's embedding (what it is about), and the tf-idf of its words (sublinear
    tf, L2-normalized over the words it knows: "conda", "onnx" and "install" say a lot about scope)."""

    answer: LinearModel  # its bias is the model's bias
    embedding: tuple[float, ...]  # weights on the raw query embedding
    words: dict  # word -> (idf, weight)

    def logit(self, answer_feats, vector, words: list[str]) -> float:
        import numpy as np

        z = float(self.answer([answer_feats])[0])
        z += float(np.asarray(vector, dtype=np.float64) @ np.asarray(self.embedding))
        counts: dict[str, int] = {}
        for word in words:
            if word in self.words:
                counts[word] = counts.get(word, 0) + 1
        if counts:
            values = {w: (1.0 + math.log(c)) * self.words[w][0] for w, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in values.values()))
            z += sum(v / norm * self.words[w][1] for w, v in values.items())
        return z

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        words = {w: (float(idf), float(weight)) for w, (idf, weight) in data["words"].items()}
        return cls(LinearModel.from_dict(data["answer"]), tuple(data["embedding"]), words)

    def to_dict(self) -> dict:
        return {
            "answer": self.answer.to_dict(),
            "embedding": [round(w, 6) for w in self.embedding],
            "words": {w: [round(i, 6), round(k, 6)] for w, (i, k) in sorted(self.words.items())},
        }


@dataclass(frozen=True)
class RankingModel:
    reranker: LinearModel
    calibrator: Calibrator
    threshold: float  # confident when the calibrator's probability is at least this
    fitted_on: str = ""  # what it was fitted on, for the record
    embedding_model: str = ""  # the embedding model its features came from: it applies to that model only

    @classmethod
    def from_dict(cls, data: dict) -> RankingModel:
        return cls(
            LinearModel.from_dict(data["reranker"]),
            Calibrator.from_dict(data["calibrator"]),
            float(data["threshold"]),
            data.get("fitted_on", ""),
            data.get("embedding_model", ""),
        )

    def to_dict(self) -> dict:
        return {
            "reranker": self.reranker.to_dict(),
            "calibrator": self.calibrator.to_dict(),
            "threshold": round(self.threshold, 6),
            "fitted_on": self.fitted_on,
            "embedding_model": self.embedding_model,
        }


def model_for(embedding_model: str) -> RankingModel | None:
    """The fitted second stage for indexes made with `embedding_model`, or None (then the first stage ranks alone:
    its features mean something else under another embedding model, e.g. KB_MODEL or the tests' fake one)."""
    model = load_model()
    return model if model is not None and model.embedding_model == embedding_model else None


@functools.lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> RankingModel | None:
    """The fitted model shipped with kb, or None when there is none (then the first stage alone ranks)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    try:
        model = RankingModel.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None
    if model.reranker.names != PAGE_FEATURES or model.calibrator.answer.names != ANSWER_FEATURES:
        return None  # fitted for another feature list: refit it (benchmarks/train_ranker.py)
    return model


def idf_weights(lexical, tokens: list[str]):
    """(idf of each query token, whether the library has it) from the BM25 postings: rare words weigh most; a word
    no page contains gets the idf of a word in no document."""
    import numpy as np

    n = max(len(lexical.slugs), 1)
    columns = [lexical.vocab.get(t) for t in tokens]
    df = np.array(
        [
            0 if c is None or c + 1 >= len(lexical.indptr) else lexical.indptr[c + 1] - lexical.indptr[c]
            for c in columns
        ],
        dtype=np.float64,
    )
    return np.log(1 + (n - df + 0.5) / (df + 0.5)), df > 0


def coverage(lexical, tokens: list[str], candidates):
    """For each candidate page: the idf-weighted share of the query's distinct tokens that occur in it; and the
    share that occurs in no page at all."""
    import numpy as np

    tokens = list(dict.fromkeys(tokens))
    if not tokens:
        return np.zeros(len(candidates)), 0.0
    idf, known = idf_weights(lexical, tokens)
    total = float(idf.sum()) or 1.0
    position = {int(p): i for i, p in enumerate(candidates)}
    covered = np.zeros(len(candidates))
    for token, weight in zip(tokens, idf):
        column = lexical.vocab.get(token)
        if column is None or column + 1 >= len(lexical.indptr):
            continue
        for page in lexical.indices[lexical.indptr[column] : lexical.indptr[column + 1]]:
            i = position.get(int(page))
            if i is not None:
                covered[i] += weight
    return covered / total, float(idf[~known].sum()) / total


def page_features(stage, candidates, n_words: int, hub_rows) -> list[list[float]]:
    """The PAGE_FEATURES of each candidate page (indices into the index), from the first stage's evidence."""
    feats = []
    for i in candidates:
        best = float(stage.best[i])
        feats.append(
            [
                float(stage.dense[i]),
                best,
                _finite(stage.by_kind["title"][i], best),
                _finite(stage.by_kind["symptom"][i], best),
                _finite(stage.by_kind["section"][i], best),
                float(stage.lexical_norm[i]),
                math.log1p(max(float(stage.lexical[i]), 0.0)),
                float(stage.coverage[i]),
                float(stage.exact[i]),
                1.0 / float(stage.dense_rank[i]),
                1.0 / float(stage.lexical_rank[i]) if stage.lexical[i] > 0 else 0.0,
                1.0 if i in hub_rows else 0.0,
                1.0 if i in hub_rows and n_words <= 8 else 0.0,
            ]
        )
    return feats


def answer_features(scores, page_feats, unknown: float, any_exact: bool, n_words: int) -> list[float]:
    """The ANSWER_FEATURES of a reranked answer (scores and page features in reranked order)."""
    top = page_feats[0]
    return [
        float(scores[0]),
        float(scores[0] - scores[1]) if len(scores) > 1 else 0.0,
        top[1],
        top[7],
        unknown,
        1.0 if any_exact else 0.0,
        math.log1p(n_words),
    ]


def query_words(text: str, stopwords) -> list[str]:
    """The words the calibrator reads: lowercase, bm25s' token pattern (as kb.lexical), English stopwords out."""
    from .lexical import TOKEN_RE

    return [w for w in TOKEN_RE.findall(text.lower()) if w not in stopwords]


def probability(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


def _finite(value, fallback: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else fallback
