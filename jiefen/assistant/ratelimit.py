"""Per-address limit on public questions, kept in Django's cache.

With the default local-memory cache each server process counts on its own (so the real limit is the
rule times the number of processes); with a shared cache (Redis, database) the count is global. The
address is hashed with the lookup key before it becomes a cache key.
"""

from __future__ import annotations

import time

from django.core.cache import cache

from jiefen.common import rules
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError


def client_ip(request) -> str:
    # Behind a reverse proxy REMOTE_ADDR is the proxy: the deployment must set it from the trusted
    # X-Forwarded-For (see docs/assistant.md); the platform does not trust the header itself.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hit(key: str, ttl: int) -> int:
    if cache.add(key, 1, ttl):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ttl)
        return 1


def check_rate(ip: str) -> None:
    """Count one question from this address; refuse (429) beyond the per-minute or per-day limit."""
    who = lookup_hash(f"ip:{ip}")[:32]
    now = int(time.time())
    minute = _hit(f"assistant:rl:m:{who}:{now // 60}", 90)
    day = _hit(f"assistant:rl:d:{who}:{now // 86400}", 86400 + 600)
    if minute > rules.amount("assistant.rate_per_minute"):
        raise ApplicationError("提问太频繁了，请稍等一分钟再问", code="rate_limited", status=429)
    if day > rules.amount("assistant.rate_per_day"):
        raise ApplicationError(
            "今天的提问次数已达上限，请明天再来，或拨打热线咨询", code="rate_limited", status=429
        )
