"""What a customer's message carries, as an attachment of a request."""

from __future__ import annotations

from aiogram.types import Message

from desk.forms import AttachmentDraft
from desk.lifecycle import Incoming


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


def incoming_of(message: Message) -> Incoming:
    """A message of a ticket's discussion: its text, its safe HTML and its file, if any."""
    attachment = attachment_of(message)
    files = ()
    if attachment is not None:
        files = ((attachment.kind, attachment.file_id, attachment.file_unique_id, attachment.file_name,
                  attachment.media_group_id),)
    text = message.text or message.caption or ""
    # html_text keeps the writer's bold/italic entities and escapes anything they typed as markup.
    html = message.html_text if (message.text or message.caption) else ""
    return Incoming(
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=text,
        html=html,
        attachments=files,
        media_group_id=message.media_group_id,
    )
