"""Finding the question inside a chatty message.

Customers wrap a question in greetings, thanks, politeness and signatures ("Здравствуйте!
Подскажите, пожалуйста, как сбросить пароль? Спасибо, Иван") or put it in the second sentence of
three. `question_parts` strips the wrapping (ru/en) and returns what the matcher should score: the
cleaned whole, then each sentence that carries content, question sentences first.
"""

from __future__ import annotations

import re

# Whole phrases that carry no question, matched at a sentence's start (after other such phrases).
# Longer alternatives first so that "добрый день" is not cut at "добрый".
_FILLER = [
    # greetings
    r"здравствуйте", r"здраствуйте", r"здравствуй", r"добрый (?:день|вечер|утро)", r"доброе утро",
    r"доброго (?:дня|времени суток|вечера)", r"доброй ночи", r"привет(?:ствую)?", r"приветик", r"салют",
    r"хай", r"алло", r"hello there", r"hi there", r"hey there", r"hello", r"hi", r"hey",
    r"good (?:morning|afternoon|evening|day)", r"greetings",
    r"dear (?:support|team|sir|madam|sirs)", r"уважаемая (?:поддержка|служба поддержки)",
    r"уважаемые (?:коллеги|сотрудники)",
    # politeness and openers
    r"подскажите(?: пожалуйста)?", r"скажите(?: пожалуйста)?", r"пожалуйста", r"пж", r"плиз",
    r"будьте добры", r"не могли бы вы (?:подсказать|сказать|помочь)", r"можете (?:подсказать|помочь)",
    r"помогите(?: пожалуйста)?", r"у меня (?:такой )?вопрос", r"есть вопрос", r"вопрос такой",
    r"извините(?: за беспокойство)?", r"простите", r"please", r"pls", r"plz", r"kindly",
    r"could you (?:please )?(?:tell me|help me|help)", r"can you (?:please )?(?:tell me|help me|help)",
    r"i have a question", r"quick question", r"sorry to bother you", r"excuse me",
    r"i was wondering", r"i wonder",
    # thanks and farewells
    r"спасибо(?: (?:большое|заранее|огромное|за помощь|за ответ))*", r"заранее спасибо",
    r"благодарю(?: (?:заранее|вас))?", r"буду (?:очень )?благодар(?:ен|на)(?: за ответ)?",
    r"с уважением", r"всего доброго", r"хорошего дня", r"до свидания", r"пока",
    r"thanks?(?: (?:a lot|in advance|so much|you))*", r"thank you(?: (?:very much|so much|in advance))*",
    r"many thanks", r"cheers", r"regards", r"best regards", r"kind regards", r"best", r"sincerely",
    r"have a (?:nice|good) day", r"bye",
]
_FILLER_RE = re.compile(
    r"^(?:(?:" + "|".join(sorted(_FILLER, key=len, reverse=True)) + r")(?:[\s,.!:;)(-]+|$))+",
    re.IGNORECASE,
)
# A signature: a farewell formula, then anything (a name) to the end of the message.
_SIGNATURE_RE = re.compile(
    r"(?:^|[\s,.!?])(?:с уважением|best regards|kind regards|regards|sincerely|sent from my \w+)\b.*$"
    # thanks closing the message, then at most two words (a name)
    r"|(?:^|[\s,.!?])(?:спасибо|благодарю|thanks|thank you|cheers)"
    r"(?:\s+(?:a lot|so much|very much|большое|огромное|заранее))?"
    r"[\s,.!]+[^\W\d_]+(?:\s+[^\W\d_]+)?[.!]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?]*")
_QUESTION_WORDS = re.compile(
    r"^(?:как|где|когда|почему|зачем|что|чем|куда|откуда|сколько|какой|какая|какое|какие|кто|можно|"
    r"ли|нельзя|не могу|не получается|не приходит|how|where|when|why|what|which|who|can|could|is|"
    r"are|do|does|did|will|should|may|i cant|i can't|cannot)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")


def strip_filler(sentence: str) -> str:
    """`sentence` without greetings, thanks and politeness at its start and end (ru/en)."""
    text = sentence.strip()
    previous = None
    while text and text != previous:
        previous = text
        text = _FILLER_RE.sub("", text).strip(" ,;:-—–()!")
        # The same phrases at the end: "…, пожалуйста?" or "…? Thanks".
        words = text.rstrip(" .!?,)").rsplit(maxsplit=3)
        for n in range(min(len(words), 3), 0, -1):
            tail = " ".join(words[-n:])
            if _FILLER_RE.fullmatch(tail + " ") or _FILLER_RE.fullmatch(tail):
                mark = "?" if text.rstrip().endswith("?") else ""
                cut = text.rstrip(" .!?,)")
                text = cut[: len(cut) - len(tail)].rstrip(" ,;:-—–(") + mark
                break
    return text.strip()


def sentences(text: str) -> list[str]:
    """The sentences of `text` (split at . ! ? and line breaks), stripped, empty ones dropped."""
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def is_question(sentence: str) -> bool:
    """Whether `sentence` reads as a question: a question mark or a question word at its start."""
    return sentence.rstrip().endswith("?") or bool(_QUESTION_WORDS.match(sentence.strip()))


def question_parts(message: str, *, min_words: int = 2) -> list[str]:
    """What to match for `message`: the cleaned whole first, then its content-bearing sentences.

    Signatures are cut, and each sentence loses its greetings, thanks and politeness; sentences
    left with fewer than `min_words` words are dropped. When the message has several sentences,
    the question sentences follow the whole (`is_question`). A message
    that is nothing but filler comes back as it was, so that it still gets searched.
    """
    body = _SIGNATURE_RE.sub("", message).strip() or message.strip()
    kept = [s for s in (strip_filler(s) for s in sentences(body)) if s]
    if not kept:
        return [message.strip()] if message.strip() else []
    whole = " ".join(kept)
    parts = [whole]
    if len(kept) > 1:
        substantial = [s for s in kept if len(_WORD.findall(s)) >= min_words]
        asked = [s for s in substantial if is_question(s)]
        # Only sentences that ask: on banking77, statements of context competing with the whole
        # cost a point of top-1.
        parts.extend(asked)
    return list(dict.fromkeys(parts))
