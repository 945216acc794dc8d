"""Failed-login throttling per login and per client address, shared by web and WebDAV logins."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


class LoginThrottle:
    """Count failures in the cache until ``window`` seconds pass without one; block past the
    allowed number."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    @property
    def attempts(self) -> int:
        return settings.LOGIN_THROTTLE_ATTEMPTS

    @property
    def window(self) -> int:
        return settings.LOGIN_THROTTLE_WINDOW_SECONDS

    def _keys(self, login: str, address: str) -> list[str]:
        keys = []
        for kind, value in (("login", login.strip().lower()), ("addr", address)):
            if value:
                digest = hashlib.sha256(value.encode()).hexdigest()[:32]
                keys.append(f"throttle:{self.scope}:{kind}:{digest}")
        return keys

    def is_blocked(self, login: str, address: str) -> bool:
        """Tell whether this login or this address has used up its failures."""
        counts = cache.get_many(self._keys(login, address))
        return any(count >= self.attempts for count in counts.values())

    def register_failure(self, login: str, address: str) -> None:
        """Count one failure for the login and for the address."""
        for key in self._keys(login, address):
            if cache.add(key, 1, timeout=self.window):
                continue
            try:
                cache.incr(key)
            except ValueError:
                # The entry expired between add() and incr(): start a new window.
                cache.add(key, 1, timeout=self.window)
                continue
            # Some backends (the file cache) give an incremented entry the default timeout:
            # every backend keeps the count for the window after the last failure.
            cache.touch(key, self.window)

    def reset(self, login: str) -> None:
        """Forget the login's failures after a success (the address keeps its count)."""
        cache.delete_many(self._keys(login, "")[:1])


def client_address(meta: dict[str, object]) -> str:
    """Return the client address of a request's META or WSGI environ.

    Behind a proxy listed in ``ENT_TRUSTED_PROXIES``, the address is the last one of
    ``X-Forwarded-For`` that is not itself a trusted proxy (earlier entries are the client's
    own claims and could be forged).
    """
    address = str(meta.get("REMOTE_ADDR") or "")
    trusted = set(settings.ENT_TRUSTED_PROXIES)
    if address not in trusted:
        return address
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        if hop and hop not in trusted:
            return hop
    return address
