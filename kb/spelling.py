"""Typo tolerance for queries ("learnign rate", "valdiation loss", "overfiting"): part of the search stage.

The embedding model splits an unknown word into meaningless pieces and BM25 finds nothing for it, so a query word
that is neither a word of the library nor an English word is read as the library word one edit away (delete,
insert, replace or swap two neighbours; Norvig's "edits1"; a letter too many only when it doubles a
neighbour), a swapped pair or doubled letter first, then the most frequent. What counts as English comes
from pyspellchecker's word list, and is only needed at build time: the index stores the library's words plus the
English words one edit away from them (the only ones a correction could wrongly replace), so a query never loads
a dictionary. Words shorter than MIN_LENGTH, words inside identifiers (snake_case, digits) and words with capitals
after the first letter (acronyms, CamelCase) are never touched; nor is a plural the library does not use
("dataloaders": a letter too many). kb/web/worker.js does exactly the same.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

MIN_LENGTH = 5  # shorter words have too many neighbours ("lr", "nan", "relu") to guess
MIN_COUNT = 2  # a correction target occurs at least this often in the library (a single use may itself be a typo)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORD_RE = re.compile(r"(?<!\w)[A-Za-z]+(?!\w)")  # whole ASCII words: not inside "train_loadr" or "réseau"
LIBRARY_WORD_RE = re.compile(r"[a-z]+")


def edits1(word: str) -> set[str]:
    """Every string one delete, swap of neighbours, replacement or insertion away from `word` (a-z)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in LETTERS}
        | {a + c + b for a, b in splits for c in LETTERS}
    )


def likely_slip(typed: str, word: str) -> bool:
    """True when `typed` is `word` with two neighbours swapped or a doubled letter typed once or twice ("recal",
    "untill", "valdiation"): the commonest slips, preferred over a more frequent word that needs another edit
    ("recal" is "recall", not "real")."""
    if len(typed) == len(word):
        diff = [i for i in range(len(word)) if typed[i] != word[i]]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == word[diff[1]]
    long, short = (word, typed) if len(word) > len(typed) else (typed, word)
    i = next((i for i in range(len(short)) if short[i] != long[i]), len(short))
    return (i > 0 and long[i - 1] == long[i]) or (i + 1 < len(long) and long[i + 1] == long[i])


@dataclass
class Spelling:
    targets: dict[str, int]  # library word -> occurrences (>= MIN_COUNT, length >= MIN_LENGTH - 1)
    known: frozenset[str]  # every other library word, and English words one edit from a target

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """(text with typos replaced, [(typed, read as), ...])."""
        corrections: list[tuple[str, str]] = []

        def fix(match: re.Match) -> str:
            word = match.group(0)
            lower = word.lower()
            if len(word) < MIN_LENGTH or not word[1:].islower() or lower in self.targets or lower in self.known:
                return word
            # an extra letter is only a typo when it doubles its neighbour: "fastapi" is not "fastai" mistyped
            candidates = [
                c for c in edits1(lower) if c in self.targets and (len(c) >= len(lower) or likely_slip(lower, c))
            ]
            if not candidates:
                return word
            best = min(candidates, key=lambda c: (not likely_slip(lower, c), -self.targets[c], c))
            corrections.append((word, best))
            return best

        return WORD_RE.sub(fix, text), corrections


def build_spelling(texts) -> Spelling:
    """From the library's BM25 texts (kb.index.page_text_for_bm25)."""
    counts = Counter(word for text in texts for word in LIBRARY_WORD_RE.findall(text.lower()))
    targets = {w: c for w, c in counts.items() if c >= MIN_COUNT and len(w) >= MIN_LENGTH - 1}
    english = _english()
    near = {e for w in targets for e in edits1(w) if e in english}
    return Spelling(targets, frozenset((set(counts) | near) - set(targets)))


@functools.lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    """pyspellchecker's English words, plus each with its apostrophe dropped ("doesnt", "wasnt" are not typos)."""
    from spellchecker import SpellChecker

    words = SpellChecker(language="en").word_frequency.dictionary
    return frozenset(words) | {w.replace("'", "") for w in words if "'" in w}
