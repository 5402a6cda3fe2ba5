"""The site's JavaScript ranking (kb/site/web/ranking.js) against Python's, without a browser: Node runs it on the
exported search bundle for the dev set's one-line queries, on-topic and off-topic, and must rank and decide
`confident` as `kb ask` does. Both sides embed with the browser's (quantized) model file; onnxruntime's wasm and
CPU kernels still differ by up to ~1e-3 in a cosine, so only near-ties may swap."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from browser import search_box_queries
from conftest import REPO

pytestmark = pytest.mark.slow
# Ties the two embedding kernels may break either way: first-stage scores and a best cosine against the confidence
# threshold within 0.005; the reranker's scores (logits: ~25x a cosine's scale) within 0.05; the calibrator's
# probability within 0.01 of its threshold.
NEAR_TIE = 0.005
NEAR_TIE_RERANKED = 0.05
NEAR_TIE_PROBABILITY = 0.01
MEASURED_DISAGREEMENTS = 2  # queries whose first three or confidence differ beyond those ties (see the test)
# Words that name members of every JavaScript object: the worker looks words up in plain JSON objects, and before
# it checked for own keys, "constructor" in a query (quoting a DDP warning) made the calibrator's logit NaN.
PROTOTYPE_WORDS = ["warning in the DDP constructor __proto__ hasownproperty valueof", "constructor"]


@pytest.fixture(scope="module")
def bundle(engine, kb_home):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed")
    from kb.site.search_bundle import build_search_bundle

    return build_search_bundle(engine, kb_home / "site-build")


def test_node_ranks_as_python_does(engine, bundle, tmp_path):
    from kb import rerank
    from kb.onnx_model import OnnxEmbedder
    from kb.query import make_query
    from kb.search import CONFIDENT_SCORE, Searcher
    from kb.site.search_bundle import bundle as esbuild

    for name, data in bundle.files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "manifest.json").write_text(json.dumps(bundle.manifest))
    entries = search_box_queries(REPO / "tests" / "eval" / "queries.yaml")
    queries = [e["q"] for e in entries] + PROTOTYPE_WORDS
    assert len(queries) >= 200 and sum(not e["expect"] for e in entries) >= 20
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    script = tmp_path / "parity.js"
    script.write_bytes(
        esbuild(
            bundle.modules,
            REPO / "tests" / "node" / "parity.mjs",
            ["--format=esm", "--platform=node", "--target=node18"],
        )
    )
    done = subprocess.run(
        ["node", str(script), str(tmp_path), str(tmp_path / "manifest.json"), str(tmp_path / "queries.json")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    node = json.loads(done.stdout)

    export = engine.embedder.backend.folder
    web = OnnxEmbedder(export, model=bundle.files[bundle.manifest["model"]])
    searcher = Searcher(engine.searcher.index, web, engine.searcher.page_of)
    model = rerank.model_for(engine.settings.model)
    assert model is not None  # the worker must be checked with the second stage kb ships

    def calibrated(query):
        """The calibrator's probability for `query`, as Searcher.search computes it."""
        made = make_query(query, searcher.index.spelling)
        stage = searcher.first_stage(made)
        _, scores, feats, unknown = searcher.rerank(made, stage, model)
        answer_feats = rerank.answer_features(
            scores, feats, unknown, bool(stage.exact.any()), len(made.searched.split())
        )
        words = rerank.query_words(made.searched, searcher.lexical.stopwords)
        return rerank.probability(model.calibrator.logit(answer_feats, stage.vector, words))

    differ = []
    for query, js in zip(queries, node):
        answer = searcher.search(make_query(query, searcher.index.spelling), k=10)
        py = [r.slug for r in answer.results]
        scores = [r.score for r in answer.results]
        same_rank = js["slugs"][:3] == py[:3] or any(
            abs(side[i] - side[i + 1]) < NEAR_TIE_RERANKED
            for side in (scores, js["scores"])
            for i in range(min(3, len(side) - 1))
        )
        best_cosine = float((searcher.index.vectors @ web.encode([answer.searched])[0]).max())
        same_confidence = (
            js["confident"] == answer.confident
            or abs(best_cosine - CONFIDENT_SCORE) < NEAR_TIE
            or abs(calibrated(query) - model.threshold) < NEAR_TIE_PROBABILITY
        )
        if not same_rank or not same_confidence:
            differ.append(
                (
                    query[:60],
                    py[:3],
                    [round(s, 3) for s in scores[:3]],
                    js["slugs"][:3],
                    [round(s, 3) for s in js["scores"][:3]],
                    answer.confident,
                    js["confident"],
                )
            )
        assert [list(c) for c in answer.corrections] == js["corrections"], query
    # Measured after the sixth session's refit (a larger BM25 weight): 2 of the dev set's queries differ beyond the
    # near-ties above, "classifier is 99% confident on everything even the mistakes" (label-smoothing 5.768 vs
    # calibration 5.711 in Python; calibration 5.851 vs label-smoothing 5.756 in Node) and an off-topic one whose
    # second and third nearest pages differ. The README states this agreement; more disagreements fail here.
    assert len(differ) <= MEASURED_DISAGREEMENTS, differ[:5]
