"""Matching a customer's question against every phrasing of every FAQ entry.

Score scale: 0–100 per entry. It blends three signals, each 0–1: word BM25 over the stems of all
the entry's phrasings taken as one document (normalised by what the query could earn; stop words
count half: BM25's idf weighs frequent words down by itself, and "you", "my" tell intents apart —
on banking77 / clinc150 they lift top-1 from 0.555 / 0.572 to 0.565 / 0.590), cosine of character
n-gram TF-IDF vectors of the same (survives typos), and rapidfuzz `token_sort_ratio` of the stemmed
query against the entry's best phrasing, computed for the best candidates only. BM25 over pairs
of adjacent stems adds up to 11 points (capped at 100): it pays off as entries gather phrasings. With an
optional encoder, the cosine of question vectors joins the blend: the sentence encoder's
(`kb.semantic`) or the word vectors distilled from it (`kb.word_vectors`).
A chatty message is first cut to its question (`kb.extract`): greetings, thanks and signatures go,
and the question sentences of a long message are scored beside the whole. Each part is tried as
typed, converted to the other keyboard layout (punctuation keys included) and, when it has Latin
letters, read as transliterated Russian (`kb.translit`); the variant whose best entry scores highest
wins. Query words no entry holds are first corrected to the nearest word the entries do hold
(`kb.spelling`), so a typo in a key word costs little. A part whose words are mostly of the FAQ's
other language is also read through the bilingual lexicon learnt from the FAQ's paired entries
(`kb.lexicon`; a `lexicon` can be passed, e.g. the whole FAQ's for a one-language part of it), its
score scaled down (`CROSS_LANGUAGE_SHARE`): the lexicon is coarse. With the encoder, a
part none of whose readings uses the FAQ's words (asked in another language) is scored by the
encoder alone.

"Answer" needs a score above a threshold AND a clear lead over the second-best entry (the margin
rule of `MatcherSettings`): on the benchmark it separates right answers from wrong ones far better
than the score alone. With the encoder, the lead asked for is smaller when the words alone and the
encoder alone put the same entry first (`SearchResult.agreed`): such an answer is far more often right.

Everything that depends on the entries is computed once in `Matcher.__init__`; a query costs three
`np.bincount` passes over the postings of its terms (words, pairs, n-grams) and one
`rapidfuzz.process.cdist` call over the phrasings of a short candidate list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from kb.entries import Entry
from kb.extract import question_parts
from kb.index import BM25, NgramTfidf, decode_strings, encode_strings
from kb.index_file import index_key, load_index, save_index
from kb.layout import has_latin, layout_variants
from kb.lexicon import Lexicon
from kb.normalize import Normalizer
from kb.normalize import words as all_words
from kb.semantic import Encoder, SemanticIndex, VectorCache
from kb.spelling import Speller
from kb.translit import Transliterator

Decision = Literal["answer", "suggest", "none"]

# Blend of the signals (summing to 1), tuned on the banking77 / clinc150 benchmark (bench/).
W_BM25 = 0.35
W_NGRAM = 0.35
W_FUZZ = 0.30
# A stop word's share in BM25 (of a word's): at 1.0, top-1 gains 0.001 / 0.004 more on banking77 /
# clinc150 than at 0.5, but "how do I" shared by every entry of a small FAQ eats the answer margin.
STOP_WORD_WEIGHT = 0.5
# Weight of BM25 over pairs of adjacent stems ("top up", "card arriv"), added to the blend (the total
# capped at 100): with ~20 phrasings an entry (the learning loop) top-1 gains 0.02 on banking77 and
# clinc150; with 3, it costs 0.004 / gains 0.001. More weight: more gain with many, more loss with few.
W_PAIRS = 0.11
# Share of the sentence-embedding cosine in the final score when an encoder is given (tuned on
# banking77 / clinc150 with whitened vectors: top-1 0.670 / 0.714 at 0.6, 0.675 / 0.720 at 0.7,
# 0.673 / 0.723 at 0.8; at 0.5–0.85 the learning loop's banking77 top-1 stays within 0.872–0.875).
W_SEMANTIC = 0.7
# A question read through the bilingual lexicon (`kb.lexicon`) scores at most this share of 100:
# the coarse lexicon finds the right entry, not an exact wording.
CROSS_LANGUAGE_SHARE = 0.8
# Entries re-scored with rapidfuzz per query: enough that the blend's winner is among them.
CANDIDATES = 30
# Parts of a chatty message scored (`kb.extract.question_parts`): the cleaned whole and its best
# sentences; more would cost time and give a wrong entry more chances.
MAX_PARTS = 3
SENTENCE_WEIGHT = 0.6


@dataclass(frozen=True)
class MatcherSettings:
    """Confidence rules on the 0–100 score scale.

    The best entry is shown as the answer when its score is at least `answer_threshold` AND it
    leads the second-best entry by at least `answer_margin` points: when two entries score alike,
    the customer should choose. A score at or above `sure_threshold` (a phrasing asked nearly word
    for word) is answered whatever the runner-up scores. Otherwise, at or above `suggest_threshold`
    the best few are offered as choices; below it, nothing is offered. `correct_typos` replaces
    query words unknown to the FAQ by the nearest FAQ word (`kb.spelling`). With an encoder, when
    the words alone and the encoder alone put the best entry first, the threshold and the margin are
    lowered by `agreed_threshold_cut` and `agreed_margin_cut` points (`for_encoder`); without one
    there is no second opinion, and both are 0.

    The defaults were tuned on half of the banking77 / clinc150 queries and checked on the other
    half (`bench/kb_tune.py --oos 0.03`): the margin lifts the precision of answers from ~0.80 /
    0.85 (score ≥ 60 alone) to ~0.90; at 56 points with a 16-point lead, the held-out halves answer
    26 % / 29 % of in-scope questions at precision 0.91 / 0.90 and 2.4 % of clinc150's out-of-scope
    ones (53 points with a 17-point lead did as well on the tuning halves: the higher threshold is the
    more cautious). Word pairs lift near-verbatim questions to 100, so "sure" starts at 95: at 85 it
    answered paraphrases that lead by little, and the precision of answers fell below 0.90.
    """

    answer_threshold: float = 56.0
    suggest_threshold: float = 40.0
    answer_margin: float = 16.0
    sure_threshold: float = 95.0
    correct_typos: bool = True
    agreed_threshold_cut: float = 0.0
    agreed_margin_cut: float = 0.0

    @classmethod
    def for_encoder(cls) -> MatcherSettings:
        """Defaults for the blend with a sentence encoder, whose scores run lower and closer: the
        encoder's cosines are taken between centred vectors, less each entry's hubness.

        When the words alone and the encoder alone put the same entry first (`agreed`), it is far
        more often right: on banking77 / clinc150 they agree on 60 % / 63 % of in-scope questions,
        right for 82 % / 84 % of those against 47 % / 54 % of the others (and on 21 % of clinc150's
        out-of-scope ones). So an agreed answer needs an 8-point lead, any other a 10-point one.
        Tuned with `bench/kb_tune.py --semantic --precision 0.905 --oos 0.012` (the one rule whose
        worse tuning half answers the most): 41.5 points with a 10-point lead, 8 when they agree,
        answer 46.2 % / 47.4 % of in-scope questions at precision 0.909 / 0.912 and 1.2 % of
        clinc150's out-of-scope ones (held-out halves: 45.0 % / 49.3 % at 0.903 / 0.898, and 3.6 %
        out of scope: that half's out-of-scope questions are the harder ones under every rule tried).
        The rule before the encoder's vectors were whitened (`kb.semantic.WITHIN_SHRINK`), 34.5
        points with a 14-point lead, 9 when they agree, answered 42.4 % / 47.5 % at 0.905 / 0.913.
        """
        return cls(answer_threshold=41.5, suggest_threshold=25.0, answer_margin=10.0, sure_threshold=85.0,
                   agreed_margin_cut=2.0)

    @classmethod
    def default_for(cls, encoder: object | None) -> MatcherSettings:
        """The defaults for a matcher with `encoder`: the lexical ones without, the word vectors'
        (`for_words`) for an encoder of words (`kb.word_vectors`), else the sentence encoder's."""
        if encoder is None:
            return cls.for_mode("off")
        return cls.for_mode("words" if getattr(encoder, "of_words", False) else "sentences")

    @classmethod
    def for_mode(cls, mode: str) -> MatcherSettings:
        """The defaults for the config's `kb.semantic` mode: "off", "words" or "sentences"."""
        return {"off": cls, "words": cls.for_words, "sentences": cls.for_encoder}[mode]()

    @classmethod
    def for_words(cls) -> MatcherSettings:
        """Defaults for the blend with the word vectors distilled from the encoder (`kb.word_vectors`),
        whose scores run on the encoder's scale but are less sure of the best entry.

        Tuned with `bench/kb_tune.py --words --precision 0.905 --oos 0.012`: 48.5 points with an
        8-point lead, 7 when the words and the vectors agree (on 63 % / 65 % of banking77 / clinc150's
        in-scope questions, right for 77 % / 80 % of those against 44 % / 45 % of the others).
        Tuning halves: 35.5 % / 36.9 % of in-scope questions answered at precision 0.910 / 0.917, 1.0 %
        of clinc150's out-of-scope ones; held-out halves: 35.0 % / 38.9 % at 0.900 / 0.878, 3.4 %.
        No rule tried kept the held-out half of clinc150 at precision 0.90: its answers are the
        less sure ones.
        """
        return cls(answer_threshold=48.5, suggest_threshold=25.0, answer_margin=8.0, sure_threshold=85.0,
                   agreed_margin_cut=1.0)

    def decide(self, top_score: float, runner_up: float = 0.0, *, agreed: bool = False) -> Decision:
        """The outcome for a search whose best entry scored `top_score` and the next `runner_up`;
        `agreed`: the words alone and the encoder alone both put that entry first, which lowers the
        threshold and the margin by `agreed_threshold_cut` and `agreed_margin_cut` points."""
        threshold, margin = self.answer_threshold, self.answer_margin
        if agreed:
            threshold, margin = threshold - self.agreed_threshold_cut, margin - self.agreed_margin_cut
        clear_lead = top_score - runner_up >= margin
        sure = top_score >= self.sure_threshold
        if top_score >= threshold and (clear_lead or sure):
            return "answer"
        if top_score >= self.suggest_threshold:
            return "suggest"
        return "none"


@dataclass(frozen=True)
class Match:
    """One entry found for a query: its id, its score (0–100) and its main question."""

    id: str
    score: float
    question: str


@dataclass(frozen=True)
class SearchResult:
    """The outcome of one search: what to do, and the best matches, best first; `agreed`: with an
    encoder, the words alone and the encoder alone both put the best match first."""

    query: str
    decision: Decision
    matches: list[Match]
    agreed: bool = False


def word_pairs(stems: Sequence[str]) -> list[str]:
    """Each stem joined to the next by a space: `["top", "up", "card"]` → `["top up", "up card"]`."""
    return [f"{a} {b}" for a, b in pairwise(stems)]


class Matcher:
    """An immutable index over a list of entries; build a new one when the entries change.

    `encoder` (optional) adds sentence-embedding similarity: better on paraphrases, but it costs
    about a millisecond per query and the model's load time, so it is off unless one is passed.
    `lexicon` (default: learnt from `entries`' paired ones) reads questions in the other language.
    `index_file` (optional, an .npz path) keeps the built lexical index between runs: when it holds
    the index of these very entries it is read instead of built (10,000 entries: ~0.3 s, not ~1.5 s).
    """

    def __init__(
        self,
        entries: Sequence[Entry],
        settings: MatcherSettings | None = None,
        *,
        normalizer: Normalizer | None = None,
        encoder: Encoder | None = None,
        vector_cache: VectorCache | None = None,
        lexicon: Lexicon | None = None,
        index_file: Path | str | None = None,
    ) -> None:
        if settings is None:
            settings = MatcherSettings.default_for(encoder)
        self.settings = settings
        self.entries = list(entries)
        self._norm = normalizer or Normalizer()
        key = index_key(self.entries) if index_file is not None else ""
        saved = load_index(Path(index_file), key) if index_file is not None else None
        if saved is not None:
            self._restore(saved)
        else:
            self._build()
            if index_file is not None:
                save_index(Path(index_file), key, self._index_arrays())
        self._speller = Speller(self._vocabulary.elements())
        self._translit = Transliterator(self._vocabulary.elements())
        self._lexicon = lexicon if lexicon is not None else Lexicon.from_entries(self.entries, self._norm)
        self._semantic = (
            SemanticIndex(encoder, [e.questions for e in self.entries], cache=vector_cache)
            if encoder is not None
            else None
        )

    def __len__(self) -> int:
        return len(self.entries)

    def _build(self) -> None:
        """The lexical index over `self.entries`: BM25 of words and of word pairs, n-grams, and the
        stemmed phrasings and content-word counts the rest is built from."""
        self._phrasing_text: list[str] = []
        self._first_phrasing: list[int] = []
        self._vocabulary: Counter[str] = Counter()
        entry_words: list[list[str]] = []
        entry_stems: list[list[str]] = []
        entry_pairs: list[list[str]] = []
        for entry in self.entries:
            self._first_phrasing.append(len(self._phrasing_text))
            content: list[str] = []
            stems: list[str] = []
            pairs: list[str] = []
            for question in entry.questions:
                found = all_words(question)
                words = self._norm.content_of(found)
                content.extend(words)
                phrasing = [self._norm.stem(w) for w in found]
                stems.extend(phrasing)
                pairs.extend(word_pairs(phrasing))
                self._phrasing_text.append(" ".join(self._norm.stem(w) for w in words))
            self._vocabulary.update(content)
            entry_words.append(content)
            entry_stems.append(stems)
            entry_pairs.append(pairs)
        self._first_phrasing.append(len(self._phrasing_text))
        self._bm25 = BM25(entry_stems)
        self._pairs = BM25(entry_pairs)
        self._ngrams = NgramTfidf(entry_words)

    def _index_arrays(self) -> dict[str, np.ndarray]:
        """What `_build` made, as named arrays for `kb.index_file`."""
        return {
            "phrasings": encode_strings(self._phrasing_text),
            "first_phrasing": np.asarray(self._first_phrasing, dtype=np.int64),
            "vocabulary": encode_strings(list(self._vocabulary)),
            "vocabulary_counts": np.asarray(list(self._vocabulary.values()), dtype=np.int64),
            **self._bm25.to_arrays("bm25_"),
            **self._pairs.to_arrays("pairs_"),
            **self._ngrams.to_arrays("ngrams_"),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        """What `_build` made, from the arrays `_index_arrays` saved."""
        self._phrasing_text = decode_strings(arrays["phrasings"])
        self._first_phrasing = arrays["first_phrasing"].tolist()
        words = decode_strings(arrays["vocabulary"])
        self._vocabulary = Counter(dict(zip(words, arrays["vocabulary_counts"].tolist(), strict=True)))
        self._bm25 = BM25.from_saved(arrays, "bm25_")
        self._pairs = BM25.from_saved(arrays, "pairs_")
        self._ngrams = NgramTfidf.from_saved(arrays, "ngrams_")

    def entry_scores(self, query: str) -> np.ndarray:
        """Score (0–100) of every entry for `query`: the best over the parts of a chatty message.

        Each part (`kb.extract.question_parts`) is scored as typed, in the other keyboard layout
        and transliterated, keeping the best variant; with an encoder, that variant's sentence
        similarity joins the blend.
        """
        return self._scores(query)[0]

    def _scores(self, query: str) -> tuple[np.ndarray, int | None]:
        """`entry_scores(query)`, and the entry both signals put first when the words alone (the
        best part's lexical score) and the encoder alone lead with the same entry; None when they
        differ, or without an encoder."""
        if not self.entries:
            return np.zeros(0), None
        parts = question_parts(query)[:MAX_PARTS] or [query]
        lexical, weights, encoder_reads = [], [], ""
        for part in parts:
            scores, text = self._best_variant(part)
            lexical.append(scores)
            # A part none of whose readings has words the FAQ holds (asked in another language)
            # gets lexical noise only: the encoder, which is cross-lingual, reads it as typed alone.
            known = self._mostly_known(text)
            encoder_reads = encoder_reads or (text if known else part)  # the whole message's reading
            weights.append(W_SEMANTIC if known else 1.0)
        blended = np.stack(lexical) if lexical else np.zeros((1, len(self.entries)))
        agreed = None
        if self._semantic is not None:
            # The encoder reads the whole (cleaned) message only, and every part blends it in: its
            # sentences encoded apart changed top-1 on banking77 / clinc150 and the ru/en set by
            # under 0.002 and cost a long message twice the encoding time (~40 µs a token).
            # (Encoding on a second thread while the words are scored gained nothing measurable on
            # 2 cores: the word scoring holds the GIL most of its time.)
            semantic = self._semantic.score(encoder_reads)
            words_leader = int(blended.max(axis=0).argmax())
            agreed = words_leader if words_leader == int(semantic.argmax()) else None
            share = np.asarray(weights)[:, None]
            blended = (1 - share) * blended + share * 100.0 * semantic
        # A sentence that disagrees with the whole message counts less, so it wins only when the
        # whole is drowned in context (on banking77, sentences at full weight cost 1.6 points of
        # top-1); one that agrees lends the whole's winner its sharper score.
        leader = int(blended[0].argmax())
        for number in range(1, len(blended)):
            if int(blended[number].argmax()) != leader:
                blended[number] *= SENTENCE_WEIGHT
        return blended.max(axis=0), agreed

    def _best_variant(self, text: str) -> tuple[np.ndarray, str]:
        """Lexical scores of the best reading of `text` (as typed, other layout, transliterated)."""
        best, best_text = np.zeros(len(self.entries)), text
        if self._mostly_known(text):
            return self._score_variant(text), text
        candidates = layout_variants(text)
        if has_latin(text) and self._translit:  # an English-only FAQ has no Russian to read it as
            candidates.append(" ".join(self._translit.to_cyrillic(self._norm.content_words(text))))
        for number, variant in enumerate(dict.fromkeys(candidates)):
            scores = self._score_variant(variant, as_typed=number == 0)
            if scores.max(initial=0.0) > best.max(initial=0.0):
                best, best_text = scores, variant
        translated = self._score_translated(text)
        if translated.max(initial=0.0) > best.max(initial=0.0):
            best, best_text = translated, text
        return best, best_text

    def _score_translated(self, text: str) -> np.ndarray:
        """Scores of `text` read through the bilingual lexicon as a question in the FAQ's other
        language: BM25 of the translated stems, scaled by `CROSS_LANGUAGE_SHARE` and by the share
        of the question's words that are foreign (in the lexicon, not in the entries); zero when
        fewer than half are, so a question in the FAQ's own language is never read this way."""
        scores = np.zeros(len(self.entries))
        stems = self._norm.tokens(text)
        if not self._lexicon or not stems or not len(self.entries):
            return scores
        foreign = [s for s in stems if s in self._lexicon and s not in self._bm25.index]
        coverage = len(foreign) / len(stems)
        if coverage < 0.5:
            return scores
        held = {s: w for s, w in self._lexicon.translate(foreign).items() if s in self._bm25.index}
        if not held:
            return scores
        return 100.0 * CROSS_LANGUAGE_SHARE * coverage * self._bm25.score(list(held), held)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """The decision and the `limit` best entries (score above 0) for `query`, best first."""
        scores, agreed = self._scores(query)
        matches = self._top(scores, max(limit, 2))
        top = matches[0].score if matches else 0.0
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        # The signals agree when the entry the words and the encoder each put first is the best one.
        agree = agreed is not None and bool(matches) and int(scores.argmax()) == agreed
        decision = self.settings.decide(top, runner_up, agreed=agree)
        return SearchResult(query=query, decision=decision, matches=matches[: max(limit, 0)], agreed=agree)

    def _top(self, scores: np.ndarray, limit: int) -> list[Match]:
        if limit <= 0 or not len(scores):
            return []
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        # Ties broken by entry order so results are stable.
        ordered = sorted(top.tolist(), key=lambda i: (-scores[i], i))
        return [
            Match(id=self.entries[i].id, score=round(float(scores[i]), 1), question=self.entries[i].title)
            for i in ordered
            if scores[i] > 0
        ]

    def _mostly_known(self, text: str) -> bool:
        """Whether at least half the content words of `text` are words the entries hold."""
        words = self._norm.content_words(text)
        return 2 * sum(map(self._is_known, words)) >= len(words) > 0

    def _is_known(self, word: str) -> bool:
        return word in self._speller or self._norm.stem(word) in self._bm25.index

    def _corrected(self, word: str) -> str:
        """`word`, or the KB word it is a typo of when neither it nor its stem is known."""
        if self._is_known(word):
            return word
        return self._speller.correct(word) or word

    def _score_variant(self, text: str, *, as_typed: bool = True) -> np.ndarray:
        scores = np.zeros(len(self.entries))
        words = self._norm.content_words(text)
        if not words or not len(self.entries):
            return scores
        # A layout conversion of a rightly typed query is gibberish: correcting each of its words
        # would cost a vocabulary scan for nothing, so a converted variant needs a known word first.
        corrected: dict[str, str] = {}
        if self.settings.correct_typos and (as_typed or any(map(self._is_known, words))):
            corrected = {w: self._corrected(w) for w in words}
            words = [corrected[w] for w in words]
        stems = [self._norm.stem(w) for w in words]
        # BM25 reads every word, stop words too; only content words are typo-corrected.
        every = all_words(text)
        stop_stems = {self._norm.stem(w) for w in every if self._norm.is_stop_word(w)}
        # Stop words tell intents apart ("you", "my", "not") but say little alone: a question made
        # of nothing else has nothing to search by.
        stop_weight = STOP_WORD_WEIGHT if len(stop_stems) < len(set(every)) else 0.0
        every_stems = [self._norm.stem(corrected.get(w, w)) for w in every]
        bm25 = self._bm25.score(every_stems, dict.fromkeys(stop_stems, stop_weight))
        base = W_BM25 * bm25 + W_NGRAM * self._ngrams.score(words)
        base += W_PAIRS * self._pairs.score(word_pairs(every_stems))
        k = min(CANDIDATES, len(base))
        candidates = np.argpartition(-base, k - 1)[:k]
        candidates = candidates[base[candidates] > 0]
        if not len(candidates):
            return scores
        spans = [(self._first_phrasing[c], self._first_phrasing[c + 1]) for c in candidates]
        choices = [self._phrasing_text[i] for start, end in spans for i in range(start, end)]
        fuzzy = process.cdist(
            [" ".join(stems)], choices, scorer=fuzz.token_sort_ratio, dtype=np.float64
        )[0]
        sizes = [end - start for start, end in spans]
        best_fuzzy = np.maximum.reduceat(fuzzy, np.concatenate(([0], np.cumsum(sizes)[:-1])))
        scores[candidates] = np.minimum(100.0 * (base[candidates] + W_FUZZ * best_fuzzy / 100.0), 100.0)
        return scores
