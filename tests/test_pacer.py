"""The pacer keeps Telegram's rates: a chat's burst, then one per interval; no burst for the bot as a
whole; a chat's own limit before the bot-wide slot; waiting people before bulk work; a 429 holds.

Time is a fake clock that only the pacer's sleeps move, so every figure is exact."""

import asyncio
import heapq
import itertools
from collections.abc import Iterator

from bot.sending import HEADROOM, LATE_SLOT, MOST_TRANSIT, TELEGRAM_GROUP, Pacer, Rate, bulk

FAST = Rate(1000, 1, 1)  # a bot-wide limit out of the way, for the per-chat rules


class FakeTime:
    """Virtual time: `run` lets every task do what it can at this moment, then wakes the earliest
    sleeper at its exact time, and so on until the awaited work is done."""

    def __init__(self, late: float | Iterator[float] = 0.0) -> None:
        self.now = 0.0
        # How long after its time each sleeper wakes, as on a busy event loop: always, or in turn.
        self.late = itertools.repeat(late) if isinstance(late, float) else late
        self._sleepers: list = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds + next(self.late), next(self._order), woken))
        await woken

    async def run(self, work):
        task = asyncio.ensure_future(work)
        while True:
            for _ in range(50):  # every runnable task runs to its next sleep
                await asyncio.sleep(0)
            if task.done():
                return task.result()
            assert self._sleepers, "the work waits for something other than time"
            moment, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, moment)
            woken.set_result(None)


def pacer(clock: FakeTime, **rates: Rate) -> Pacer:
    return Pacer(**rates, clock=clock, sleep=clock.sleep)


async def sent_at(clock: FakeTime, waiting) -> float:
    await waiting
    return clock.now


async def test_a_private_chat_gets_a_burst_of_three_then_one_a_second():
    clock = FakeTime()
    chats = pacer(clock, overall=FAST, private=Rate(1, 1, 3))
    delays = [await clock.run(chats.wait(1001)) for _ in range(6)]
    assert [round(d, 6) for d in delays] == [0, 0.001, 0.001, 0.998, 1.0, 1.0]
    # Another chat is not held up by the first one.
    assert round(await clock.run(chats.wait(1002)), 6) == 0.001


async def test_a_group_gets_twenty_a_minute_and_never_more_in_any_minute():
    clock = FakeTime()
    groups = pacer(clock, overall=Rate(1_000_000, 1, 1), group=TELEGRAM_GROUP)
    moments = [await sent_at(clock, clock.run(groups.wait(-100123))) for _ in range(60)]
    assert moments[0] == 0.0  # the first at once
    # Telegram counts a group's messages in any sliding minute: 21 never fit into one.
    assert all(later - first >= 60.0 for first, later in zip(moments, moments[20:], strict=False))
    # ...and the limit is used: one every 60 / (20 × 0.97) s, no slower.
    assert moments[-1] <= 59 * 60 / (20 * HEADROOM) + 1e-6


async def test_the_bot_as_a_whole_never_bursts_above_its_steady_rate():
    clock = FakeTime()
    bot_wide = pacer(clock, overall=Rate(30, 1, 1))
    clock.now = 100.0  # after a long idle time, 60 chats at the same moment
    moments = sorted(await clock.run(asyncio.gather(
        *(sent_at(clock, bot_wide.wait(2000 + n)) for n in range(60)))))
    assert moments[0] == 100.0
    assert all(abs((b - a) - 1 / 30) < 1e-9 for a, b in itertools.pairwise(moments))


async def test_a_loop_that_wakes_a_little_late_keeps_the_bot_wide_slots_on_their_grid():
    clock = FakeTime(late=0.002)  # every slot is opened 2 ms after its time
    bot_wide = pacer(clock, overall=Rate(30, 1, 1))
    moments = sorted(await clock.run(asyncio.gather(*(sent_at(clock, bot_wide.wait(2000 + n)) for n in range(91)))))
    # The lateness is not added up: 90 slots take 3 s, not 3 s and 90 × 2 ms.
    assert round(moments[-1] - moments[0], 9) == 3.002
    # ...and no 31 in a row come closer together than 30 intervals less the lateness forgiven.
    assert min(later - first for first, later in zip(moments, moments[30:], strict=False)) >= 1.0 - LATE_SLOT


async def test_sends_that_leave_late_now_and_then_never_put_31_into_one_second():
    # One slot in seven opens 9 ms late (forgiven: the next keeps to the grid), so without counting
    # the moments sends really leave, 31 would leave within 30 intervals less 9 ms.
    clock = FakeTime(late=itertools.cycle([0.009, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]))
    bot_wide = pacer(clock, overall=Rate(30, 1, 1))
    moments = sorted(await clock.run(asyncio.gather(*(sent_at(clock, bot_wide.wait(2000 + n)) for n in range(121)))))
    assert min(later - first for first, later in zip(moments, moments[30:], strict=False)) >= 1.0 - 1e-6
    assert moments[-1] - moments[0] < 4.0 + 2 * LATE_SLOT  # and the lateness is still not added up


def most_that_may_arrive_together(flights: list[tuple[float, float]], window: float = 1.0) -> int:
    """The most sends Telegram may stamp within one `window`, each at any moment between leaving
    and its answer coming back: for the last of them to leave, the sends that left before it and
    had not landed a window before it left."""
    return max(sum(1 for other_left, landed in flights if other_left <= left and landed > left - window + 1e-9)
               for left, _ in flights)


async def test_sends_held_up_on_their_way_never_put_31_into_one_second_however_they_are_stamped():
    # Now and then a request takes 0.3 s to be answered: a stalled Bot API that then stamps what
    # queued meanwhile as one burst. Counting sends by the moment they left would let 31 in.
    clock = FakeTime()
    bot_wide = pacer(clock, overall=Rate(30, 1, 1))
    flight = itertools.cycle([0.001] * 9 + [0.3])
    flights: list[tuple[float, float]] = []

    async def send(chat_id: int) -> None:
        departure = await bot_wide.depart(chat_id)
        left = clock.now
        await clock.sleep(next(flight))
        flights.append((left, clock.now))
        await departure.landed()

    await clock.run(asyncio.gather(*(send(2000 + n) for n in range(150))))
    assert most_that_may_arrive_together(flights) <= 30
    # ...and the limit is still used: 150 sends in little more than their 5 s.
    assert max(left for left, _ in flights) - min(left for left, _ in flights) < 5.0 + 0.35


async def test_a_send_that_never_comes_back_counts_until_a_window_after_its_longest_transit():
    clock = FakeTime()
    bot_wide = pacer(clock, overall=Rate(30, 1, 1))
    for n in range(30):
        await clock.run(bot_wide.depart(2000 + n))  # sent, and no answer comes (a hung Bot API)
    # The first left at 0: it may have arrived until MOST_TRANSIT, and counts a window (1 s) more.
    assert round(await sent_at(clock, clock.run(bot_wide.wait(3000))), 6) == MOST_TRANSIT + 1.0


async def test_a_slot_missed_by_more_than_a_little_is_not_made_up_with_a_burst():
    clock = FakeTime(late=2 * LATE_SLOT)  # a stalled loop
    bot_wide = pacer(clock, overall=Rate(30, 1, 1))
    moments = sorted(await clock.run(asyncio.gather(*(sent_at(clock, bot_wide.wait(2000 + n)) for n in range(31)))))
    assert all(later - first >= 1 / 30 for first, later in itertools.pairwise(moments))


async def test_a_busy_chat_waits_alone_and_does_not_hold_up_other_chats():
    clock = FakeTime()
    limits = pacer(clock, overall=Rate(30, 1, 1), private=Rate(1, 1, 3))
    for _ in range(3):
        await clock.run(limits.wait(1001))  # the busy chat's burst is used up
    start = clock.now
    busy, other = await clock.run(asyncio.gather(sent_at(clock, limits.wait(1001)),
                                                 sent_at(clock, limits.wait(1002))))
    # The busy chat waits for its own next second; the other chat takes the next bot-wide slot.
    assert busy - start > 0.9
    assert other - start <= 1 / 30 + 1e-9


async def test_a_reply_to_a_waiting_person_goes_before_queued_bulk_work():
    clock = FakeTime()
    limits = pacer(clock, overall=Rate(30, 1, 1))
    await clock.run(limits.wait(1))  # the bot-wide slot is taken for the next 1/30 s

    async def reminder(chat_id: int) -> float:
        with bulk():
            return await sent_at(clock, limits.wait(chat_id))

    async def surge():
        reminders = [asyncio.create_task(reminder(100 + n)) for n in range(20)]
        await asyncio.sleep(0)  # the reminders are queued first
        answer = await sent_at(clock, limits.wait(999))
        return answer, await asyncio.gather(*reminders)

    answer, reminders = await clock.run(surge())
    assert answer == 1 / 30  # the very next slot, ahead of the 20 reminders queued before it
    assert min(reminders) > answer


async def test_hold_after_429_delays_the_next_send_by_exactly_retry_after():
    clock = FakeTime()
    limits = pacer(clock)
    await limits.hold(1001, 3)
    assert round(await clock.run(limits.wait(1001)), 6) == 3.0
    await limits.hold(None, 2)
    assert round(await clock.run(limits.wait(1002)), 6) == 2.0


async def test_chats_idle_longer_than_their_window_are_forgotten():
    clock = FakeTime()
    limits = pacer(clock, overall=FAST, private=Rate(1, 1, 3))
    for chat in range(1000, 1500):
        await clock.run(limits.wait(chat))
    assert limits.tracked() == 1000  # each chat's slot and the moment its message left
    clock.now += 120  # two minutes of silence: every chat's window has long passed
    await clock.run(limits.wait(1))
    assert limits.tracked() == 2  # only the chat that just sent is remembered
    # A forgotten chat is treated as it was: its whole burst is there again.
    delays = [await clock.run(limits.wait(1000)) for _ in range(3)]
    assert max(delays) < 0.01


async def test_a_chat_still_within_its_window_keeps_its_limit_through_a_sweep():
    clock = FakeTime()
    limits = pacer(clock, overall=FAST, private=Rate(1, 1, 3))
    clock.now = 100.0
    for _ in range(3):
        await clock.run(limits.wait(1001))
    await limits.hold(1002, 300)  # a 429 told this chat to wait five minutes
    clock.now += 61  # the next sweep is due; chat 1001 is idle, chat 1002 still held
    await clock.run(limits.wait(1003))
    assert round(await clock.run(limits.wait(1002)), 6) == 239.0
