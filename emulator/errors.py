"""Telegram's error replies, fault injection and the optional flood limits.

The descriptions are Telegram's exact wording: aiogram (and our bot) branch on them.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import time
from collections import Counter, deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
TEXT_EMPTY = "Bad Request: message text is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
COPY_NOT_FOUND = "Bad Request: message to copy not found"
FORWARD_NOT_FOUND = "Bad Request: message to forward not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
THREAD_NOT_FOUND = "Bad Request: message thread not found"
NOT_A_FORUM = "Bad Request: the chat is not a forum"
NOT_ENOUGH_RIGHTS_TOPIC = "Bad Request: not enough rights to create a topic"
BLOCKED = "Forbidden: bot was blocked by the user"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
INVALID_FILE_ID = "Bad Request: invalid file_id"
CANT_EDIT = "Bad Request: message can't be edited"
QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
MAX_TEXT = 4096
MAX_CAPTION = 1024

#: Default description per error code, used when an injected error names none.
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected error",
    401: UNAUTHORIZED,
    403: BLOCKED,
    404: NOT_FOUND,
    409: "Conflict: terminated by other getUpdates request; "
         "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """An error reply: raised by method handlers, turned into the JSON envelope."""

    def __init__(self, error_code: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, description: str) -> ApiError:
        """A 400 with ``description`` (which must already start with "Bad Request: ")."""
        return cls(400, description)

    @classmethod
    def retry_after(cls, seconds: int) -> ApiError:
        """A 429 flood-wait asking to retry after ``seconds``."""
        return cls(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False, "error_code": self.error_code, "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class Hold:
    """A call held by the emulator until the test releases it: `arrived` once it came in, and it
    is answered (normally) after `release()`. Lets a test act while a request is surely on its way,
    rather than guess with a delay."""

    def __init__(self) -> None:
        self._arrived = asyncio.Event()
        self._released = asyncio.Event()
        self.count = 0

    async def arrived(self, timeout: float = 15.0) -> None:
        """Wait until a held call came in; AssertionError after ``timeout`` s."""
        try:
            await asyncio.wait_for(self._arrived.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no held call arrived within {timeout}s") from None

    def release(self) -> None:
        """Let every held call (and any later one this hold catches) go on."""
        self._released.set()

    async def wait(self) -> None:
        """What the server does with a held call: say it arrived, then wait for the release."""
        self.count += 1
        self._arrived.set()
        await self._released.wait()


@dataclass
class Fault:
    """One armed fault: an error reply, a delay, or a raw HTTP status, for ``times`` calls."""

    method: str | None
    chat_id: int | str | None = None
    times: int = 1
    error: ApiError | None = None
    delay: float = 0.0
    http_status: int | None = None
    hold: Hold | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this fault applies to a call of ``method`` with ``params``."""
        if self.times <= 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


def make_error(error_code: int, description: str | None,
               retry_after: int | None, migrate_to_chat_id: int | None = None) -> ApiError:
    """Build the ApiError an injected fault answers with, filling Telegram's defaults."""
    parameters: dict[str, Any] = {}
    if error_code == 429:
        retry_after = 1 if retry_after is None else retry_after
    if retry_after is not None:
        parameters["retry_after"] = retry_after
    if migrate_to_chat_id is not None:
        parameters["migrate_to_chat_id"] = migrate_to_chat_id
    if description is None:
        template = DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        description = template.format(retry_after=retry_after)
    return ApiError(error_code, description, parameters or None)


@dataclass
class FloodLimiter:
    """Telegram's documented broadcast limits, answering 429 when a bot exceeds them.

    Per private chat about 1 message/s (a burst of ``private_burst`` is tolerated), per group
    20 messages/minute, and 30 messages/s over all chats.
    """

    private_burst: int = 3
    clock: Any = time.monotonic
    _per_chat: dict[int, deque[float]] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)

    def check(self, chat_id: int, is_private: bool) -> None:
        """Record one message to ``chat_id`` or raise a 429 ApiError if it is over a limit."""
        now = self.clock()
        window, limit = (1.0 * self.private_burst, self.private_burst) if is_private \
            else (60.0, 20)
        sent = self._per_chat.setdefault(chat_id, deque())
        for queue, span in ((sent, window), (self._all, 1.0)):
            while queue and now - queue[0] >= span:
                queue.popleft()
        if len(sent) >= limit:
            raise ApiError.retry_after(max(1, math.ceil(window - (now - sent[0]))))
        if len(self._all) >= 30:
            raise ApiError.retry_after(1)
        sent.append(now)
        self._all.append(now)


#: When the request being handled arrived (set by the server for the method's handler): a request
#: held back by a test fault is still counted by Telegram's limits at the moment it came in.
arrived_at: ContextVar[float | None] = ContextVar("emulator_arrived_at", default=None)


@dataclass
class StrictFloodLimiter:
    """Telegram's limits applied the strict way, for benchmarks and tests of pacing.

    A send is refused with 429 and ``retry_after`` (whole seconds until it would pass) when it
    would make more than ``overall`` sends in any sliding second, more than one a second
    sustained to one private chat beyond a burst of ``private_burst`` (a token bucket), or more
    than ``group_per_minute`` to one group in any sliding minute. A refused send does not count.
    Each send counts at the moment its request arrived (`arrived_at`, else now), so requests a
    test held back and let go together are not taken for a burst the bot never sent.
    ``refused`` counts the 429s given, ``accepted`` keeps the sends let through.
    """

    overall: int = 30
    private_burst: int = 3
    private_interval: float = 1.0
    group_per_minute: int = 20
    clock: Any = time.monotonic
    refused: int = 0
    #: The limits that refused them ("overall", "private", "group"): one 429 may count under two.
    refused_by: Counter[str] = field(default_factory=Counter)
    #: When each refused send arrived (the emulator's clock), in order of refusal.
    refused_at: list[float] = field(default_factory=list)
    #: When each send let through arrived (the moment the limits counted it), in order of checking.
    accepted: list[float] = field(default_factory=list)
    _all: list[float] = field(default_factory=list)  # arrival times, ascending
    _groups: dict[int, list[float]] = field(default_factory=dict)
    # Per private chat: the moment its bucket is full again (GCRA's theoretical arrival time).
    _private_tat: dict[int, float] = field(default_factory=dict)

    def check(self, chat_id: int, is_private: bool) -> None:
        """Record one message to ``chat_id`` or raise a 429 ApiError if it is over a limit."""
        at = arrived_at.get()
        if at is None:
            at = self.clock()
        waits = {"overall": _window_wait(self._all, at, 1.0, self.overall)}
        if is_private:
            tat = max(self._private_tat.get(chat_id, at), at)
            waits["private"] = tat - at - (self.private_burst - 1) * self.private_interval
        else:
            waits["group"] = _window_wait(self._groups.setdefault(chat_id, []), at, 60.0, self.group_per_minute)
        wait = max(waits.values())
        if wait > 0:
            self.refused += 1
            self.refused_by.update(name for name, seconds in waits.items() if seconds > 0)
            self.refused_at.append(at)
            raise ApiError.retry_after(max(1, math.ceil(wait)))
        bisect.insort(self._all, at)
        self.accepted.append(at)
        if is_private:
            self._private_tat[chat_id] = tat + self.private_interval
        else:
            bisect.insort(self._groups[chat_id], at)


def _window_wait(sent: list[float], at: float, span: float, limit: int) -> float:
    """Seconds until a send arriving at `at` would fit (0: it fits): no `span`-long window holding it
    may hold more than `limit` sends with it. `sent` (ascending) forgets what no window needs again."""
    del sent[:bisect.bisect_left(sent, at - span)]
    i = bisect.bisect_right(sent, at)
    moments = [*sent[:i], at, *sent[i:]]
    wait = 0.0
    # Every run of limit + 1 sends that includes this one must span at least `span`.
    for first in range(max(0, i - limit), i + 1):
        last = first + limit
        if last < len(moments) and moments[last] - moments[first] < span:
            wait = max(wait, span - (moments[last] - moments[first]))
    return wait

