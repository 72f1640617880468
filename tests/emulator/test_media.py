"""Media: uploads, file ids, albums and downloads."""

from __future__ import annotations

import io

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InputMediaDocument, InputMediaPhoto

from emulator import BotAPIEmulator, Person


@pytest.mark.parametrize("kind", ["photo", "document", "video", "voice", "audio",
                                  "animation", "sticker"])
async def test_each_media_kind_round_trips(emu: BotAPIEmulator, bot: Bot, anna: Person,
                                           kind: str) -> None:
    upload = BufferedInputFile(b"bytes of " + kind.encode(), filename=f"x.{kind}")
    send = getattr(bot, f"send_{kind}")
    extra = {} if kind in ("sticker", "voice") else {"caption": f"a {kind}"}

    sent = await send(anna.id, upload, **extra)
    again = await send(anna.id, emu.chat(anna).last.file_ids[-1])

    shown = emu.chat(anna).messages
    assert [m.media_kind for m in shown] == [kind, kind]
    assert shown[0].file_ids == shown[1].file_ids
    if extra:
        assert sent.caption == f"a {kind}"
    assert again.message_id == sent.message_id + 1


async def test_unknown_file_id_is_refused(bot: Bot, anna: Person) -> None:
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(anna.id, "no-such-file-id")


async def test_caption_too_long(bot: Bot, anna: Person) -> None:
    photo = await anna.send_photo()

    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(anna.id, photo.file_ids[-1], caption="c" * 1025)


async def test_user_file_downloads_byte_for_byte(bot: Bot, anna: Person) -> None:
    sent = await anna.send_document(b"line 1\nline 2\n", filename="log.txt")

    file = await bot.get_file(sent.file_ids[0])
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, buffer)

    assert buffer.getvalue() == b"line 1\nline 2\n"
    assert file.file_path.endswith("log.txt")


async def test_media_group_shares_a_group_id(emu: BotAPIEmulator, bot: Bot,
                                             anna: Person) -> None:
    album = await bot.send_media_group(anna.id, [
        InputMediaPhoto(media=BufferedInputFile(b"p", "p.jpg"), caption="<b>one</b>",
                        parse_mode="HTML"),
        InputMediaDocument(media=BufferedInputFile(b"d", "d.txt")),
    ])

    assert [m.message_id for m in album] == [1, 2]
    assert album[0].caption == "one" and album[1].document.file_name == "d.txt"
    group_ids = {m.media_group_id for m in emu.chat(anna).messages}
    assert len(group_ids) == 1 and None not in group_ids


async def test_user_album_arrives_as_one_update_per_item(emu: BotAPIEmulator, bot: Bot,
                                                         anna: Person) -> None:
    await anna.send_album([("photo", None, "screen"), ("document", b"log", None)])

    updates = await bot.get_updates(timeout=0)

    assert [bool(u.message.photo) for u in updates] == [True, False]
    assert updates[0].message.media_group_id == updates[1].message.media_group_id
    assert updates[0].message.caption == "screen"
