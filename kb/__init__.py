"""The FAQ knowledge base: Markdown files with YAML front matter, and matching questions to them.

Knows nothing of Telegram or the database. Main entry points: `KnowledgeBase` (load, search, get,
reload, watch), `answer_to_html` (answer Markdown → Telegram HTML chunks), and the admin commands
in `kb.commands`.
"""

from kb.base import KnowledgeBase
from kb.entries import Entry, KBError
from kb.loader import LoadResult, load_folder
from kb.matcher import Match, Matcher, MatcherSettings, SearchResult
from kb.render import answer_to_html

__all__ = [
    "Entry",
    "KBError",
    "KnowledgeBase",
    "LoadResult",
    "Match",
    "Matcher",
    "MatcherSettings",
    "SearchResult",
    "answer_to_html",
    "load_folder",
]
