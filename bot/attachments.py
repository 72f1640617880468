"""What a customer's message carries, as an attachment of a request."""

from __future__ import annotations

from aiogram.types import Message

from desk.forms import AttachmentDraft


def attachment_of(message: Message) -> AttachmentDraft | None:
    """The file of a message (the largest size of a photo), or None for text and the rest."""
    group = message.media_group_id
    if message.photo:
        best = message.photo[-1]
        return AttachmentDraft("photo", best.file_id, best.file_unique_id, None, group)
    # An animation also carries a document: ask for the specific kinds first.
    for kind in ("animation", "video", "video_note", "voice", "audio", "document"):
        item = getattr(message, kind, None)
        if item is not None:
            return AttachmentDraft(kind, item.file_id, item.file_unique_id, getattr(item, "file_name", None), group)
    return None
