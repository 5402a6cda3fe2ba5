"""A small deterministic embedder for the fast test tier: no model, no download, the same vectors on every machine.

Words and character trigrams are hashed into 256 signed dimensions, so texts that share words or spellings land
close together. It is no substitute for MiniLM's semantics, but it makes every stage after the embedding (chunks,
index, exact and lexical matching, fusion, typos, rendering) run and rank for real.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

WORD_RE = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    name = "test-hash-embedder"
    dim = 256

    def _features(self, text: str) -> list[str]:
        words = WORD_RE.findall(text.lower())
        grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        return words + words + grams  # whole words count double

    def encode(self, texts, batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=4).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if value & (1 << 31) else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else np.eye(self.dim, dtype=np.float32)[0]
        return out
