"""Our keyboard builder lays buttons out exactly as aiogram's, without deep-copying them."""

from aiogram.utils import keyboard

from bot.keyboard_builder import InlineKeyboardBuilder


def build(builder: keyboard.InlineKeyboardBuilder) -> keyboard.InlineKeyboardBuilder:
    for n in range(7):
        builder.button(text=f"b{n}", callback_data=f"c{n}")
    builder.adjust(1, 2, 3)
    builder.row(keyboard.InlineKeyboardButton(text="last", url="https://example.com"))
    builder.attach(type(builder).from_markup(builder.as_markup()))
    return builder


def test_the_layout_is_aiograms():
    ours, theirs = build(InlineKeyboardBuilder()), build(keyboard.InlineKeyboardBuilder())
    assert ours.as_markup().model_dump() == theirs.as_markup().model_dump()
    assert [len(row) for row in ours.export()] == [1, 2, 3, 1, 1, 1, 2, 3, 1, 1]


def test_a_keyboard_made_stays_as_it_was_while_the_builder_goes_on():
    builder = InlineKeyboardBuilder()
    builder.button(text="one", callback_data="1")
    markup = builder.as_markup()
    builder.button(text="two", callback_data="2")
    builder.adjust(1)
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["one"]]
    assert [[b.text for b in row] for row in builder.as_markup().inline_keyboard] == [["one"], ["two"]]


def test_buttons_are_not_copied():
    builder = InlineKeyboardBuilder()
    builder.button(text="one", callback_data="1")
    assert builder.export()[0][0] is builder.export()[0][0]
    # ...where aiogram's builder copies each one on every read.
    theirs = keyboard.InlineKeyboardBuilder()
    theirs.button(text="one", callback_data="1")
    assert theirs.export()[0][0] is not theirs.export()[0][0]
