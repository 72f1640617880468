"""Plain (not async) filters and handlers run on the event loop, not on a thread.

aiogram calls every filter or handler that is not a coroutine function through `asyncio.to_thread`
(`CallableObject.call`), and magic filters (`F.text`, `F.data == "x"`) are such functions: each
check of each handler an update passes on its way is a hop to a thread pool and back. Our plain
filters are pure, microsecond-long predicates on the update, so `run_inline` makes them awaitable
in place. Measured with bench/load_bench.py under the burst of 200 questions: ~12,800 hops (about
7 per update), each costing 0.1–0.4 ms of the loop's time while the pool's threads took the GIL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject


def _awaitable(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return call


def _inline(item: CallableObject) -> int:
    if item.awaitable:
        return 0
    # `params`, read from the original's signature, still picks the keyword arguments passed.
    item.callback = _awaitable(item.callback)
    item.awaitable = True
    return 1


def run_inline(router: Router) -> int:
    """Make every plain filter and handler of `router` and the routers under it run on the loop;
    returns how many there were."""
    count = 0
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in [observer._handler, *observer.handlers]:  # _handler: the router-wide filters
                count += _inline(handler)
                for event_filter in handler.filters or []:
                    count += _inline(event_filter)
    return count
