"""Media kinds: the API objects Telegram returns for each, and small fake files for drivers."""

from __future__ import annotations

import base64
from typing import Any

from emulator.state import StoredFile

#: Media kinds the send methods accept, keyed by the method's file parameter.
MEDIA_METHODS = {
    "sendphoto": "photo", "senddocument": "document", "sendvideo": "video",
    "sendvoice": "voice", "sendaudio": "audio", "sendanimation": "animation",
    "sendsticker": "sticker", "sendvideonote": "video_note",
}

# A valid 1x1 JPEG, so bots that open photos with an image library do not choke.
_JPEG_1X1 = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////"
    "////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgB"
    "AQABPxA="
)

#: kind -> (bytes, file name, mime type) used when a driver sends media without content.
FAKE_FILES: dict[str, tuple[bytes, str, str]] = {
    "photo": (_JPEG_1X1, "photo.jpg", "image/jpeg"),
    "document": (b"fake document\n", "file.txt", "text/plain"),
    "video": (b"\x00\x00\x00\x18ftypmp42fake-video", "video.mp4", "video/mp4"),
    "voice": (b"OggSfake-voice", "voice.ogg", "audio/ogg"),
    "audio": (b"ID3fake-audio", "audio.mp3", "audio/mpeg"),
    "animation": (b"GIF89afake-animation", "animation.gif", "image/gif"),
    "sticker": (b"RIFF\x00\x00\x00\x00WEBPfake-sticker", "sticker.webp", "image/webp"),
    "video_note": (b"\x00\x00\x00\x18ftypmp42fake-note", "note.mp4", "video/mp4"),
}


def media_object(kind: str, stored: StoredFile, params: dict[str, Any]) -> Any:
    """The API value of the message's ``kind`` field for a stored file.

    ``params`` may carry width/height/duration sent by the bot; sensible defaults otherwise.
    """
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    width, height = int(params.get("width") or 1), int(params.get("height") or 1)
    duration = int(params.get("duration") or 1)
    if kind == "photo":
        # Telegram answers with several sizes; one is enough for bots that take [-1].
        return [{**base, "width": width, "height": height}]
    if kind in ("video", "animation"):
        base.update(width=width, height=height, duration=duration)
    elif kind in ("voice", "audio"):
        base["duration"] = duration
    elif kind == "video_note":
        base.update(length=width, duration=duration)
    elif kind == "sticker":
        base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
    if kind in ("document", "video", "audio", "animation") and stored.file_name:
        base["file_name"] = stored.file_name
    if kind in ("document", "video", "audio", "voice", "animation") and stored.mime_type:
        base["mime_type"] = stored.mime_type
    return base


def file_ids_of(kind: str, media: Any) -> list[str]:
    """The file ids inside a media API value (all photo sizes, or the single file)."""
    if kind == "photo":
        return [size["file_id"] for size in media]
    if isinstance(media, dict) and "file_id" in media:
        return [media["file_id"]]
    return []


class Upload:
    """A file part of a multipart request."""

    __slots__ = ("content_type", "data", "filename")

    def __init__(self, data: bytes, filename: str | None, content_type: str | None) -> None:
        self.data = data
        self.filename = filename
        self.content_type = content_type
