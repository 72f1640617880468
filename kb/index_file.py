"""The matcher's built index kept in a file between runs, so a restart need not rebuild it.

The file (.npz, no pickles) holds the index's arrays and a key: a digest of every entry's id and
phrasings and of the source of the modules that shape the index. A file with another key — the FAQ
or the matcher's code changed — is ignored and rewritten after the next build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from kb.entries import Entry

log = logging.getLogger(__name__)

# The modules whose code decides what the index holds: a change to any of them invalidates files.
SHAPING_MODULES = ("index", "index_file", "matcher", "normalize", "spelling", "stopwords", "translit")


def index_key(entries: Sequence[Entry]) -> str:
    """Digest of what an index over `entries` is built from: their ids and phrasings, and the code."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for module in SHAPING_MODULES:
        digest.update((here / f"{module}.py").read_bytes())
    for entry in entries:
        digest.update("\x1e".join((entry.id, *entry.questions)).encode("utf-8"))
        digest.update(b"\x1d")
    return digest.hexdigest()


def load_index(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays saved in `path` under `key`, or None when the file is missing, stale or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["key"]) != key:
                return None
            return {name: saved[name] for name in saved.files if name != "key"}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError) as exc:
        log.warning("ignoring the FAQ index file %s: %s", path, exc)
        return None


def save_index(path: Path, key: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write `arrays` under `key` to `path` atomically (a crash leaves the old file or the new one);
    a folder that cannot be written is logged, not raised: the file only saves time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    except OSError as exc:
        log.warning("cannot save the FAQ index to %s: %s", path, exc)
        return
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, key=np.array(key), **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        log.warning("cannot save the FAQ index to %s: %s", path, exc)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
