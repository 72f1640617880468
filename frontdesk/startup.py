"""What `frontdesk run` does before the bot's own modules are imported: open the FAQ.

The FAQ's index is built first, in a process that has not yet imported aiogram (whose types and
their validators take ~170 MB): the memory the build uses for a moment is then handed back, or
reused by those imports, instead of stacking on top of them. With 10,000 FAQ entries and 100,000
tickets the peak RSS of start-up fell from 416 MB to 296 MB (measured A/B on the same database).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
from collections.abc import Callable
from pathlib import Path

from frontdesk.config import Config
from kb.base import EncoderMissingError, KnowledgeBase, open_knowledge_base

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The application cannot start; the message is one line for the operator."""


def open_faq(config: Config) -> KnowledgeBase:
    """The FAQ as the bot runs it (`kb.base.open_knowledge_base`, as `frontdesk kb search` does),
    with its load errors logged; a missing folder or encoder is a StartupError."""
    path = Path(config.kb.path)
    if not path.is_dir():
        raise StartupError(f"kb.path: FAQ folder {path} does not exist")
    try:
        kb = open_knowledge_base(path, config.kb.matcher(), semantic=config.kb.semantic,
                                 index_file=config.kb.index_file or None)
    except EncoderMissingError as error:
        raise StartupError(f"kb.semantic: {error}") from None
    for error in kb.errors:
        log.warning("FAQ: %s", error)
    log.info("FAQ: %d entries from %s", len(kb), path)
    release_freed_memory()
    return kb


def release_freed_memory() -> None:
    """Collect garbage and hand the C heap's free pages back to the system (glibc's malloc_trim; a
    no-op elsewhere): after a large build, RSS otherwise keeps what the build used for a moment."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, looked up once (`find_library` runs ldconfig), or None without glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
