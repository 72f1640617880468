"""`[kb]` thresholds default to the ones tuned for the matcher in use; a key set overrides only itself."""

from kb.matcher import MatcherSettings
from kb.settings import KBConfig


def test_unset_thresholds_are_the_lexical_matchers_own():
    assert KBConfig().matcher() == MatcherSettings()  # kb.semantic = "off"
    assert KBConfig(semantic="words").matcher() == MatcherSettings.for_words()


def test_with_the_encoder_unset_thresholds_are_the_encoder_blends_own():
    settings = KBConfig(semantic=True).matcher()
    assert settings == MatcherSettings.for_encoder()
    assert settings.answer_threshold < MatcherSettings().answer_threshold


def test_a_threshold_set_in_the_config_overrides_only_itself():
    settings = KBConfig(semantic=True, answer_threshold=70.0).matcher()
    encoder = MatcherSettings.for_encoder()
    assert settings.answer_threshold == 70.0
    assert (settings.answer_margin, settings.suggest_threshold) == (encoder.answer_margin, encoder.suggest_threshold)
