"""Lexical matching: BM25 weights over each page's whole text, computed by bm25s at build time and scored here at
query time without bm25s or scipy. It rewards exact tokens (error names, API names) that embeddings blur."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .chunks import plain
from .pages import Page

TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # bm25s' (and scikit-learn's) default token pattern


@dataclass
class LexicalIndex:
    """BM25 weights computed by bm25s at build time, stored so that queries need neither bm25s nor scipy.

    `data/indices/indptr` is bm25s' own sparse layout: for token column t, pages `indices[indptr[t]:indptr[t+1]]`
    have BM25 weights `data[...]`; a query's score for a page is the sum over its tokens (see `scores`).
    """

    slugs: list[str]
    vocab: dict[str, int]  # stemmed token -> column
    stopwords: frozenset[str]
    data: object
    indices: object
    indptr: object

    def tokens(self, text: str) -> list[str]:
        return bm25_tokens(text, self.stopwords)

    def scores(self, text: str):
        import numpy as np

        out = np.zeros(len(self.slugs), dtype=np.float32)
        for token in self.tokens(text):
            column = self.vocab.get(token)
            if column is not None and column + 1 < len(self.indptr):  # bm25s' "" token has no column
                lo, hi = self.indptr[column], self.indptr[column + 1]
                np.add.at(out, self.indices[lo:hi], self.data[lo:hi])
        return out


def bm25_tokens(text: str, stopwords: frozenset[str]) -> list[str]:
    """Pages and queries alike: lowercase, bm25s' token pattern, English stopwords, Snowball stems."""
    return _stemmer().stemWords([w for w in TOKEN_RE.findall(text.lower()) if w not in stopwords])


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def page_text_for_bm25(page: Page) -> str:
    sections = " ".join(plain(text) for name, text in page.sections.items() if name not in ("Not this?", "Sources"))
    return " ".join([page.title, *page.aliases, page.summary, *page.symptoms, sections, page.snippet])


def build_lexical(pages: list[Page]) -> LexicalIndex:
    import bm25s
    import numpy as np
    from bm25s.stopwords import STOPWORDS_EN

    stopwords = frozenset(STOPWORDS_EN)
    if not pages:
        return LexicalIndex([], {}, stopwords, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32))
    model = bm25s.BM25()
    model.index([bm25_tokens(page_text_for_bm25(p), stopwords) or [""] for p in pages], show_progress=False)
    scores = model.scores
    return LexicalIndex(
        [p.slug for p in pages],
        dict(model.vocab_dict),
        stopwords,
        np.asarray(scores["data"], np.float32),
        np.asarray(scores["indices"], np.int32),
        np.asarray(scores["indptr"], np.int32),
    )
