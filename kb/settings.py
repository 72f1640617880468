"""The `[kb]` section of the config file."""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kb.base import SEMANTIC_MODES, SemanticMode, semantic_mode
from kb.matcher import MatcherSettings


class KBConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    path: str = "faq"
    # Scores are 0..100; at or above `answer_threshold` the bot answers, above
    # `suggest_threshold` it offers the closest questions as buttons. The answer must also lead the
    # next entry by `answer_margin` points (else the closest are offered). Unset, each takes the
    # default tuned for the matcher in use: the lexical one's, or the sentence-encoder blend's
    # (`MatcherSettings.for_encoder`), whose scores run on another scale.
    answer_threshold: float | None = Field(default=None, ge=0, le=100)
    suggest_threshold: float | None = Field(default=None, ge=0, le=100)
    answer_margin: float | None = Field(default=None, ge=0, le=100)
    watch: bool = True
    # Blend in meaning beside the words: "words" (word vectors distilled from a multilingual
    # sentence encoder, `kb.word_vectors`: ~0.1 ms a question, ~20 MB more memory with a small FAQ
    # and ~50 MB at 10,000 entries; their table is built once per machine, ~20 s, into
    # ~/.cache/frontdesk/), "sentences" (the encoder itself, `kb.semantic`: better, ~2 ms a question
    # and ~100 MB more memory), "off" (the words alone); true / false are "sentences" / "off".
    semantic: SemanticMode | bool = "off"
    # Where the built FAQ index is kept between restarts (an .npz file, best outside `path`):
    # a restart reads it instead of rebuilding when neither the FAQ nor the matcher changed.
    # "" rebuilds at every start (10,000 entries: ~1.5 s).
    index_file: str = ""

    @field_validator("semantic", mode="before")
    @classmethod
    def _known_mode(cls, value: object) -> object:
        """One message for a value that is no mode (not one per branch of the type)."""
        if isinstance(value, bool) or value in SEMANTIC_MODES:
            return value
        raise ValueError('should be "off", "words" or "sentences" (true is "sentences", false is "off")')

    def matcher(self) -> MatcherSettings:
        """The FAQ matcher's settings: the defaults of the matcher `semantic` picks, with the keys set here."""
        defaults = MatcherSettings.for_mode(semantic_mode(self.semantic))
        given = {key: value for key in ("answer_threshold", "suggest_threshold", "answer_margin")
                 if (value := getattr(self, key)) is not None}
        return replace(defaults, **given)
