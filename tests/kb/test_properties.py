"""Whatever an admin saves and whatever a customer types, the knowledge base does not crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.entries import Entry, KBError
from kb.layout import cyrillic_to_latin, latin_to_cyrillic, layout_variants
from kb.loader import parse_entry
from kb.normalize import Normalizer

PATH = Path("faq/x.md")
front_matter_like = st.builds(
    lambda head, body, tail: f"---\n{head}\n---\n{body}{tail}",
    st.text(max_size=200),
    st.text(max_size=50),
    st.sampled_from(["", "\n---\n", "\x00", "\ud7ff"]),
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_the_loader_turns_any_bytes_into_an_entry_or_an_error(raw):
    assert isinstance(parse_entry(PATH, raw), Entry | KBError)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), front_matter_like))
def test_the_loader_turns_any_text_into_an_entry_or_an_error(text):
    parsed = parse_entry(PATH, text.encode("utf-8", "surrogatepass"))
    assert isinstance(parsed, Entry | KBError)
    if isinstance(parsed, KBError):
        assert parsed.line >= 0 and str(parsed).startswith(str(PATH))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalising_and_layout_conversion_never_raise(text):
    normalizer = Normalizer()
    tokens = normalizer.tokens(text)
    assert all(isinstance(t, str) and t for t in tokens)
    assert layout_variants(text)[0] == text
    assert len(latin_to_cyrillic(text)) == len(text) == len(cyrillic_to_latin(text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_search_never_raises_and_keeps_its_contract(starter_kb, text):
    result = starter_kb.search(text)
    assert result.decision in ("answer", "suggest", "none")
    assert len(result.matches) <= 5
