"""Fit kb's second stage (kb/rerank.py) on the DEV halves only, and write kb/ranking.json.

    python benchmarks/train_ranker.py [--check]      (--check: fit and report, do not write)

Training data: the dev half of the real-question set (tests/eval/real.yaml, half=dev) and the self-written dev
set (tests/eval/queries.yaml). Never the held-out halves (real.yaml half=heldout, tests/eval/holdout.yaml): they
only measure (benchmarks/real_eval.py).

- Reranker: pairwise logistic regression (a RankNet-style linear ranker): for each answerable query, every
  (right page, wrong page) pair among the first stage's candidates is one example of "the right one scores
  higher". Its regularization strength is chosen by 5-fold cross-validation over dev queries (grouped by query).
- Calibrator: logistic regression (C=1, balanced classes, real questions weighted 2x) on the reranked answer's
  evidence, the query embedding and the tf-idf of the query's words: does a page cover this question at all (expect
  non-empty)? Chosen by 5-fold CV on dev among answer features alone, + embedding, + words, + both (ROC AUC 0.771,
  0.799, 0.792, 0.809). Its threshold is the highest that refuses at most REFUSE_ANSWERABLE of the answerable real
  dev questions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb.evaluate import load_cases  # noqa: E402
from kb.query import make_query  # noqa: E402
from kb.rerank import (  # noqa: E402
    ANSWER_FEATURES,
    MODEL_FILE,
    PAGE_FEATURES,
    Calibrator,
    LinearModel,
    RankingModel,
    answer_features,
    query_words,
)
from kb.search import CONFIDENT_SCORE  # noqa: E402

REFUSE_ANSWERABLE = 0.03  # the bound: at most 3% of answerable questions answered "no confident match"
REAL = REPO / "tests" / "eval" / "real.yaml"
SELF = REPO / "tests" / "eval" / "queries.yaml"


def collect(engine, cases, source: str) -> list[dict]:
    """For each case: its candidates' features, which candidates are right, and what the calibrator reads."""
    searcher = engine.searcher
    rows = []
    for case in cases:
        query = make_query(case.query, searcher.index.spelling)
        stage = searcher.first_stage(query)
        candidates, feats, unknown = searcher.candidates(query, stage)
        slugs = [searcher.index.slugs[i] for i in candidates]
        rows.append(
            {
                "source": source,
                "expect": set(case.expect),
                "slugs": slugs,
                "feats": np.asarray(feats),
                "unknown": unknown,
                "exact": bool(stage.exact.any()),
                "words": len(query.searched.split()),
                "vector": stage.vector,
                "first_stage_confident": bool(stage.exact.any())
                or float(stage.best[np.isfinite(stage.best)].max()) >= CONFIDENT_SCORE,
                "tokens": query_words(query.searched, searcher.lexical.stopwords),
            }
        )
    return rows


def standardizer(x):
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_reranker(rows, c: float) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    all_feats = np.vstack([r["feats"] for r in rows])
    mean, scale = standardizer(all_feats)
    diffs = []
    for r in rows:
        z = (r["feats"] - mean) / scale
        right = [i for i, s in enumerate(r["slugs"]) if s in r["expect"]]
        wrong = [i for i, s in enumerate(r["slugs"]) if s not in r["expect"]][:30]
        for i in right:
            for j in wrong:
                diffs.append(z[i] - z[j])
    diffs = np.asarray(diffs)
    x = np.vstack([diffs, -diffs])
    y = np.r_[np.ones(len(diffs)), np.zeros(len(diffs))]
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000).fit(x, y)
    return LinearModel(PAGE_FEATURES, tuple(model.coef_[0]), 0.0, tuple(mean), tuple(scale))


def top1(rows, reranker) -> float:
    hits = [r["slugs"][int(np.argmax(reranker(r["feats"])))] in r["expect"] for r in rows if r["expect"]]
    return float(np.mean(hits)) if hits else 0.0


def choose_c(rows, folds: int = 5) -> float:
    answerable = [r for r in rows if r["expect"]]
    rng = np.random.default_rng(0)
    fold_of = rng.integers(0, folds, len(answerable))
    best = None
    for c in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0):
        scores = []
        for f in range(folds):
            train = [r for r, k in zip(answerable, fold_of) if k != f]
            test = [r for r, k in zip(answerable, fold_of) if k == f]
            scores.append(top1(test, fit_reranker(train, c)))
        score = float(np.mean(scores))
        print(f"  reranker C={c:<5} cross-validated dev top-1 {score:.3f}")
        if best is None or score > best[0] + 1e-9:
            best = (score, c)
    return best[1]


def answer_rows(rows, reranker):
    x, y, real = [], [], []
    for r in rows:
        scores = reranker(r["feats"])
        order = np.argsort(-scores, kind="stable")
        x.append(answer_features(scores[order], r["feats"][order].tolist(), r["unknown"], r["exact"], r["words"]))
        y.append(1.0 if r["expect"] else 0.0)
        real.append(r["source"] == "real")
    return np.asarray(x), np.asarray(y), np.asarray(real)


def calibrator_features(rows, reranker, words=None):
    """(feature matrix, y, real, the fitted tf-idf, answer-feature standardization) for the calibrator."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    x, y, real = answer_rows(rows, reranker)
    vectors = np.vstack([r["vector"] for r in rows])
    if words is None:  # the words exactly as kb.rerank.query_words gives them: sklearn does no tokenizing of its own
        words = TfidfVectorizer(analyzer=lambda tokens: tokens, min_df=2, sublinear_tf=True)
        words.fit([r["tokens"] for r in rows])
    mean, scale = standardizer(x)
    features = hstack(
        [csr_matrix((x - mean) / scale), csr_matrix(vectors), words.transform([r["tokens"] for r in rows])]
    )
    return features.tocsr(), y, real, words, (mean, scale), x


def logistic(features, y, real):
    from sklearn.linear_model import LogisticRegression

    weight = np.where(real, 2.0, 1.0)  # the real questions are the yardstick; the self-written ones add volume
    return LogisticRegression(C=1.0, max_iter=4000, class_weight="balanced").fit(features, y, sample_weight=weight)


def fit_calibrator(rows, reranker) -> tuple[Calibrator, float]:
    features, y, real, words, (mean, scale), x = calibrator_features(rows, reranker)
    # The threshold comes from out-of-fold probabilities: in-sample ones are overconfident (the word and embedding
    # weights memorize the dev questions), and a threshold set on them refuses far more answerable questions later.
    out_of_fold = np.zeros(len(y))
    fold_of = np.random.default_rng(0).integers(0, 5, len(y))
    for f in range(5):
        train, test = [i for i in range(len(y)) if fold_of[i] != f], [i for i in range(len(y)) if fold_of[i] == f]
        part = [rows[i] for i in train]
        f_train, y_train, real_train, words_f, (m_f, s_f), _ = calibrator_features(part, reranker)
        f_test = calibrator_features([rows[i] for i in test], reranker, words_f)[0]
        # the test rows are standardized with the training rows' statistics
        x_test = answer_rows([rows[i] for i in test], reranker)[0]
        f_test[:, : len(ANSWER_FEATURES)] = (x_test - m_f) / s_f
        out_of_fold[test] = logistic(f_train, y_train, real_train).predict_proba(f_test)[:, 1]
    # kb declines when the first stage's rule (best chunk cosine below CONFIDENT_SCORE, no exact match) OR the
    # calibrator says so; the threshold is the highest that keeps both together within REFUSE_ANSWERABLE.
    first_stage_ok = np.array([r["first_stage_confident"] for r in rows])
    answerable = (y == 1) & real
    candidates = np.sort(np.unique(out_of_fold[answerable]))
    threshold = 0.0
    for value in candidates:
        refused = np.mean(~first_stage_ok[answerable] | (out_of_fold[answerable] < value))
        if refused > REFUSE_ANSWERABLE:
            break
        threshold = float(value)
    refused = float(np.mean(~first_stage_ok[answerable] | (out_of_fold[answerable] < threshold)))
    unanswerable = (y == 0) & real
    declined = float(np.mean(~first_stage_ok[unanswerable] | (out_of_fold[unanswerable] < threshold)))
    print(
        f"  calibrator threshold {threshold:.3f} (out-of-fold, with the first stage's rule): dev answerable refused "
        f"{refused:.3f}, dev unanswerable declined {declined:.3f}"
    )
    model = logistic(features, y, real)
    coef = model.coef_[0]
    n_answer, n_embedding = len(ANSWER_FEATURES), len(rows[0]["vector"])
    calibrator = Calibrator(
        LinearModel(ANSWER_FEATURES, tuple(coef[:n_answer]), float(model.intercept_[0]), tuple(mean), tuple(scale)),
        tuple(coef[n_answer : n_answer + n_embedding]),
        {w: (float(words.idf_[c]), float(coef[n_answer + n_embedding + c])) for w, c in words.vocabulary_.items()},
    )
    logits = np.array([calibrator.logit(a, r["vector"], r["tokens"]) for a, r in zip(x, rows)])
    assert np.allclose(logits, model.decision_function(features), atol=1e-6)  # kb's inference = sklearn's
    return calibrator, threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fit and report, do not write kb/ranking.json")
    args = parser.parse_args()
    import kb

    engine = kb.Engine()
    rows = collect(engine, load_cases(REAL, {"half": "dev"}), "real") + collect(engine, load_cases(SELF), "self")
    answerable = [r for r in rows if r["expect"]]
    print(
        f"dev: {len(rows)} queries ({sum(r['source'] == 'real' for r in rows)} real), {len(answerable)} answerable; "
        f"the right page among the {len(rows[0]['slugs'])} candidates for "
        f"{np.mean([bool(set(r['slugs']) & r['expect']) for r in answerable]):.3f}"
    )
    c = choose_c(rows)
    reranker = fit_reranker(answerable, c)
    print("  weights: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(PAGE_FEATURES, reranker.weights)))
    calibrator, threshold = fit_calibrator(rows, reranker)
    print(
        "  calibrator: "
        + ", ".join(f"{n} {w:+.2f}" for n, w in zip(ANSWER_FEATURES, calibrator.answer.weights))
        + f"; {len(calibrator.words)} words"
    )
    model = RankingModel(
        reranker,
        calibrator,
        threshold,
        f"dev halves: {REAL.name} half=dev and {SELF.name}; reranker C={c}",
        engine.settings.model,
    )
    if not args.check:
        MODEL_FILE.write_text(json.dumps(model.to_dict(), indent=1) + "\n")
        print(f"wrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
