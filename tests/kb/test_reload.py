"""An admin edits the FAQ while the bot runs: good edits are picked up, broken edits keep the last
good version in service, deleted files drop their entries."""

from __future__ import annotations

import asyncio
import contextlib

from faq_files import faq_text

from kb.base import KnowledgeBase


def test_new_changed_and_deleted_files_are_picked_up(write_faq, faq_dir):
    write_faq("a.md", faq_text(["How do I pay?"], "Old answer."))
    doomed = write_faq("b.md", faq_text(["Where is my parcel?"]))
    kb = KnowledgeBase(faq_dir)
    assert sorted(e.id for e in kb.entries) == ["a", "b"]

    write_faq("a.md", faq_text(["How do I pay?"], "New answer."))
    write_faq("c.md", faq_text(["How do I reset my password?"]))
    doomed.unlink()
    assert kb.reload() == []

    assert kb.get("a").answer == "New answer."
    assert kb.get("b") is None
    assert kb.search("reset password").matches[0].id == "c"


def test_a_broken_edit_keeps_the_last_good_version(write_faq, faq_dir):
    path = write_faq("pay.md", faq_text(["How do I pay?"], "Pay by card."))
    kb = KnowledgeBase(faq_dir)

    path.write_text("---\nquestions: [How do I pay?\n---\nHalf-written\n", encoding="utf-8")
    errors = kb.reload()

    assert [e.path for e in errors] == [path]
    assert kb.get("pay").answer == "Pay by card."
    assert kb.search("how do i pay").matches[0].id == "pay"
    assert kb.errors == errors


def test_a_broken_new_file_is_reported_and_skipped(write_faq, faq_dir):
    write_faq("a.md", faq_text(["How do I pay?"]))
    kb = KnowledgeBase(faq_dir)
    write_faq("b.md", "no front matter")
    [error] = kb.reload()
    assert error.line == 1 and [e.id for e in kb.entries] == ["a"]


def test_a_new_file_cannot_steal_the_id_of_one_in_service(write_faq, faq_dir):
    write_faq("b.md", faq_text(["Original?"], id="shared"))
    kb = KnowledgeBase(faq_dir)
    newcomer = write_faq("a.md", faq_text(["Newcomer?"], id="shared"))
    [error] = kb.reload()
    assert error.path == newcomer and "duplicate id" in error.message
    assert kb.get("shared").title == "Original?"


async def test_watch_picks_up_an_edit_and_stops_when_cancelled(write_faq, faq_dir):
    write_faq("a.md", faq_text(["How do I pay?"], "Old answer."))
    kb = KnowledgeBase(faq_dir)
    reloaded = asyncio.Event()
    seen_errors = []

    async def on_reload(errors):
        seen_errors.append(errors)
        if kb.get("a").answer == "New answer.":
            reloaded.set()

    task = asyncio.create_task(kb.watch(on_reload, debounce_ms=50))
    try:
        # Keep editing until the watcher (which starts in the background) has seen it.
        async with asyncio.timeout(10):
            while not reloaded.is_set():
                write_faq("a.md", faq_text(["How do I pay?"], "New answer."))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reloaded.wait(), 0.5)
    finally:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.done() and seen_errors[-1] == []
