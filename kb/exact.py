"""Exact matches: a query equal to a page's slug, title or alias, or containing one of its error strings verbatim."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .packed import Strings
from .pages import Page

EXACT_TOKEN_RE = re.compile(r"[a-z0-9]+")

EXACT_WINDOW = 6  # an error string of at least this many words matches when it occurs anywhere in the query

ERROR_RE = re.compile(r"(Error|Exception|Warning)\b")


def exact_text(text: str) -> str:
    """What exact matching compares: lowercase letters and digits, one space between runs."""
    return " ".join(EXACT_TOKEN_RE.findall(text.lower()))


def exact_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def exact_keys(page: Page) -> tuple[set[str], set[str]]:
    """(keys the whole query must equal: slug, title, aliases, short error strings; error strings of at least
    EXACT_WINDOW words that the query must contain, as a pasted message or log does)."""
    equal = {exact_text(k) for k in (page.slug, page.title, *page.aliases)}
    contained = set()
    for symptom in page.symptoms:
        if ERROR_RE.search(symptom):
            key = exact_text(symptom)
            (contained if len(key.split()) >= EXACT_WINDOW else equal).add(key)
    return equal - {""}, contained


@dataclass
class ExactIndex:
    """Exact matches of a query against slugs, titles, aliases and error strings, by 64-bit hashes kept sorted
    (a query hashes itself and each of its EXACT_WINDOW-word windows; contained keys are then verified)."""

    equal_hash: object  # uint64, sorted
    equal_page: object  # int32
    contained_hash: object  # uint64 of the key's first EXACT_WINDOW words, sorted
    contained_page: object  # int32
    contained_keys: Strings  # the whole key, same order

    def pages(self, text: str) -> set[int]:
        """Indices of the pages that `text` matches exactly."""
        import numpy as np

        query = exact_text(text)
        words = query.split()
        found = set()
        for hashes, owners, probes in (
            (self.equal_hash, self.equal_page, [query]),
            (
                self.contained_hash,
                self.contained_page,
                [" ".join(words[i : i + EXACT_WINDOW]) for i in range(len(words) - EXACT_WINDOW + 1)],
            ),
        ):
            if not len(hashes) or not probes:
                continue
            wanted = np.array([exact_hash(p) for p in probes], dtype=np.uint64)
            lo, hi = np.searchsorted(hashes, wanted, "left"), np.searchsorted(hashes, wanted, "right")
            for a, b in zip(lo.tolist(), hi.tolist()):
                for row in range(a, b):
                    if owners is self.equal_page or self.contained_keys[row] in query:
                        found.add(int(owners[row]))
        return found


def build_exact(pages: list[Page]) -> ExactIndex:
    import numpy as np

    equal, contained = [], []
    for i, page in enumerate(pages):
        keys_equal, keys_contained = exact_keys(page)
        equal += [(exact_hash(k), i) for k in keys_equal]
        contained += [(exact_hash(" ".join(k.split()[:EXACT_WINDOW])), i, k) for k in keys_contained]
    equal.sort()
    contained.sort()
    return ExactIndex(
        np.array([h for h, _ in equal], dtype=np.uint64),
        np.array([i for _, i in equal], np.int32),
        np.array([h for h, _, _ in contained], dtype=np.uint64),
        np.array([i for _, i, _ in contained], np.int32),
        Strings.pack([k for _, _, k in contained]),
    )
