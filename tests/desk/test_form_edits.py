"""Editing one field from the preview: «Back» leaves the request as the preview showed it."""

from __future__ import annotations

from desk import forms
from desk.forms import DETAILS, TYPE, AttachmentDraft, Draft


def filled() -> Draft:
    return Draft(title="The printer is silent", problem_type="question", details="Nothing prints.",
                 attachments=[AttachmentDraft("photo", "file-1")], criticality="high")


def test_back_from_half_new_details_brings_the_old_ones_back():
    draft = filled()
    before = draft.to_data()
    forms.begin_edit(draft, DETAILS)
    assert draft.details == "" and draft.attachments == []
    draft.details = "Half of a new"
    # The draft travels through the FSM data between the two presses.
    restored = forms.abandon_edit(Draft.from_data({"draft": draft.to_data()}))
    assert restored.to_data() == before


def test_back_from_a_new_types_step_keeps_the_old_type():
    draft = filled()
    forms.begin_edit(draft, TYPE)
    draft.problem_type, draft.fields = "error", {"version": "4.2"}
    restored = forms.abandon_edit(draft)
    assert restored.problem_type == "question" and restored.fields == {}
    assert not restored.editing and restored.before_edit is None


def test_a_finished_edit_keeps_nothing_to_put_back():
    draft = filled()
    forms.begin_edit(draft, DETAILS)
    draft.details = "All new."
    forms.edit_done(draft)
    assert forms.abandon_edit(draft).details == "All new."
