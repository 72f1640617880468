"""The pacer keeps Telegram's rates: bursts, then one per interval; a 429 holds a chat."""

from bot.sending import Pacer, Rate


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_private_chat_gets_a_burst_then_one_a_second(monkeypatch):
    clock = FakeTime()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr("bot.sending.asyncio.sleep", fake_sleep)
    pacer = Pacer(private=Rate(1, 1, 3), clock=clock)
    delays = [await pacer.wait(1001) for _ in range(6)]
    assert delays[:3] == [0, 0, 0]
    assert [round(d, 6) for d in delays[3:]] == [1.0, 1.0, 1.0]
    # Another chat is not held up by the first one.
    assert await pacer.wait(1002) == 0


async def test_a_group_gets_twenty_a_minute(monkeypatch):
    clock = FakeTime()

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr("bot.sending.asyncio.sleep", fake_sleep)
    pacer = Pacer(clock=clock)
    for _ in range(20):
        assert await pacer.wait(-100123) == 0
    assert round(await pacer.wait(-100123), 6) == 3.0


async def test_hold_after_429_delays_the_next_send_by_exactly_retry_after(monkeypatch):
    clock = FakeTime()

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr("bot.sending.asyncio.sleep", fake_sleep)
    pacer = Pacer(clock=clock)
    pacer.hold(1001, 3)
    assert round(await pacer.wait(1001), 6) == 3.0
