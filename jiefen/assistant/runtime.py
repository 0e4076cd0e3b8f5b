"""The matcher the web, the API and `jiefen ask` use: built from the published knowledge base.

Building a matcher costs a few seconds (the index, and the models learned from the labelled questions);
answering costs about a millisecond. So each process keeps one matcher and rebuilds it only when the
published knowledge base changes. A publication bumps `KbState.revision`: the publishing process drops
its matcher at once (on commit), other processes (other workers) notice the new revision on their next
question after `CHECK_EVERY` seconds, at the price of one indexed single-row read.

Without published entries in the database (nothing loaded yet) the shipped file is used, so the
assistant answers on a fresh installation.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.db import DatabaseError

from .kb import Entry, KnowledgeBase, default_kb_path, load_kb
from .matcher import Matcher

log = logging.getLogger(__name__)

CHECK_EVERY = 3.0  # seconds between two looks at the published revision


@dataclass
class _Cached:
    matcher: Matcher
    revision: int | None  # None: built from the shipped file
    checked_at: float


_lock = threading.Lock()
_cached: _Cached | None = None
_file_matcher: Matcher | None = None


def version_to_entry(version) -> Entry:
    extra = dict(version.extra or {})
    synonyms = extra.pop("synonyms", {}) or {}
    return Entry(
        id=version.entry.key,
        category=version.category,
        question=version.question,
        paraphrases=list(version.paraphrases or []),
        answer=version.answer,
        source=version.source,
        reviewed_on=version.reviewed_on,
        keywords=list(version.keywords or []),
        synonyms={k: list(v) for k, v in synonyms.items()},
        extra=extra,
    )


def published_kb(*, include_open: bool = False) -> KnowledgeBase:
    """The published entries as a KnowledgeBase (in file order). With include_open, each entry's
    draft or version under review replaces its published one: the preview reviewers test against."""
    from .models import KbState, KbVersion

    statuses = [KbVersion.Status.PUBLISHED]
    if include_open:
        statuses += [KbVersion.Status.DRAFT, KbVersion.Status.REVIEW]
    chosen: dict[int, KbVersion] = {}
    for v in KbVersion.objects.filter(status__in=statuses).select_related("entry"):
        if v.entry_id not in chosen or v.is_open:
            chosen[v.entry_id] = v
    versions = sorted(chosen.values(), key=lambda v: (v.entry.position, v.entry.key))
    state = KbState.objects.filter(pk=1).first()
    return KnowledgeBase(
        [version_to_entry(v) for v in versions],
        synonyms=dict(state.synonyms) if state else {},
        domain_terms=list(state.domain_terms) if state else [],
        uncovered_terms=list(state.uncovered_terms) if state else [],
    )


def current_revision() -> int:
    from .models import KbState

    return KbState.objects.filter(pk=1).values_list("revision", flat=True).first() or 0


def file_matcher() -> Matcher:
    global _file_matcher
    if _file_matcher is None:
        _file_matcher = Matcher(load_kb(default_kb_path()))
    return _file_matcher


def _build() -> Matcher | None:
    kb = published_kb()
    return Matcher(kb) if kb else None


def get_matcher() -> Matcher:
    """The matcher for the published knowledge base (shipped file if none is published)."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached.checked_at < CHECK_EVERY:
        return cached.matcher
    with _lock:
        cached = _cached
        if cached is not None and now - cached.checked_at < CHECK_EVERY:
            return cached.matcher
        try:
            revision = current_revision()
            if cached is not None and cached.revision == revision:
                cached.checked_at = now
                return cached.matcher
            matcher = _build()
        except DatabaseError:
            # No table yet (not migrated) or no database: answer from the file, look again later.
            log.debug("assistant: knowledge base not in the database, using the shipped file")
            revision, matcher = None, None
        if matcher is None:  # nothing published yet: the shipped file answers
            matcher = file_matcher()
        _cached = _Cached(matcher, revision, now)
        return matcher


def invalidate() -> None:
    """Forget the cached matcher (called once a publication has committed)."""
    global _cached
    with _lock:
        _cached = None


def matcher_for_cli(kb_path: str | None = None) -> tuple[Matcher, str]:
    """For `jiefen ask`: the file given, else the published database entries, else the shipped file.

    Returns the matcher and where its knowledge base came from (for messages)."""
    if kb_path:
        return Matcher(load_kb(kb_path)), kb_path
    try:
        kb = published_kb()
    except DatabaseError:
        kb = None
    if kb:
        return Matcher(kb), "database"
    return file_matcher(), str(default_kb_path())
