"""Failed-login throttling shared by the site login, ``/admin/login/`` and WebDAV Basic auth.

Logins follow ``emp.prénom.nom`` and are guessable, and a school often reaches the ENT from
one address (NAT): throttling must slow attackers without becoming a way to lock users out.
The rule, the same for every entry point:

1. **Per (login, address)**: ``LOGIN_THROTTLE_ATTEMPTS`` failures within
   ``LOGIN_THROTTLE_WINDOW_SECONDS`` stop further attempts of that login *from that address*
   until the window ends. An attacker guessing from elsewhere never touches the owner's pair.
2. **Per login** (every address together): past ``LOGIN_THROTTLE_LOGIN_CEILING`` failures
   in the window, each new failure makes the next attempt wait longer (5 s, 10 s, 20 s… up to
   ``LOGIN_THROTTLE_MAX_DELAY_SECONDS``). Nothing locks; the delay does not apply to an
   address this login already succeeded from (``LOGIN_THROTTLE_TRUSTED_DAYS``), so the
   depositor's own deposits go on during an attack from elsewhere.
3. **Per address** (every login together): the same growing delay past
   ``LOGIN_THROTTLE_ADDRESS_CEILING`` failures, set high enough for a whole school behind
   one NAT; here too a login that already succeeded from the address is not delayed, so a
   correct password of another account from the same address works.

Refused attempts are answered without checking (or hashing) the password. Counters live in
the Django cache (Redis in production, so every process shares them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether an attempt may be checked, and if not, how long to wait (seconds)."""

    allowed: bool
    retry_after: int = 0
    reason: str = ""


class LoginThrottle:
    """The throttling rule of the module docstring, for one family of logins (``scope``)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    # --- Keys --------------------------------------------------------------------------------

    def _key(self, kind: str, *values: str) -> str:
        digest = hashlib.sha256("\0".join(values).encode()).hexdigest()[:32]
        return f"throttle:{self.scope}:{kind}:{digest}"

    def _counter(self, kind: str, now: dt.datetime, *values: str) -> str:
        """The key of a failure counter in the current window.

        Windows are fixed slices of time, so a counter never outlives its window whatever
        the cache backend does with the expiry on ``incr`` (the file cache resets it).
        """
        window = int(now.timestamp()) // settings.LOGIN_THROTTLE_WINDOW_SECONDS
        return f"{self._key(kind, *values)}:{window}"

    @staticmethod
    def _login(login: str) -> str:
        return login.strip().lower()

    # --- Decision ----------------------------------------------------------------------------

    def check(self, login: str, address: str, *, now: dt.datetime) -> ThrottleDecision:
        """Tell whether an attempt of ``login`` from ``address`` may be checked now."""
        login = self._login(login)
        window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
        # One round trip to the cache: every attempt of a deposit burst passes here.
        keys = {
            "pair": self._counter("pair", now, login, address),
            "trusted": self._key("trusted", login, address),
            "login": self._key("login-next", login),
            "addr": self._key("addr-next", address),
        }
        found = cache.get_many(keys.values())
        if found.get(keys["pair"], 0) >= settings.LOGIN_THROTTLE_ATTEMPTS:
            return ThrottleDecision(False, window, "pair")
        if found.get(keys["trusted"]):
            return ThrottleDecision(True)
        stamp = now.timestamp()
        for kind in ("login", "addr"):
            not_before = found.get(keys[kind], 0)
            if not_before > stamp:
                return ThrottleDecision(False, int(not_before - stamp) + 1, kind)
        return ThrottleDecision(True)

    def is_blocked(self, login: str, address: str, *, now: dt.datetime) -> bool:
        return not self.check(login, address, now=now).allowed

    # --- Outcomes ----------------------------------------------------------------------------

    def register_failure(self, login: str, address: str, *, now: dt.datetime) -> None:
        """Count one failure for the pair, the login and the address."""
        login = self._login(login)
        window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
        pair = self._count(self._counter("pair", now, login, address), window)
        if pair == settings.LOGIN_THROTTLE_ATTEMPTS:
            logger.warning(
                "Login throttle (%s): %s failures for %r from %s; this pair waits %s s",
                self.scope,
                pair,
                login,
                address,
                window,
            )
        for kind, value, ceiling in (
            ("login", login, settings.LOGIN_THROTTLE_LOGIN_CEILING),
            ("addr", address, settings.LOGIN_THROTTLE_ADDRESS_CEILING),
        ):
            if not value:
                continue
            count = self._count(self._counter(kind, now, value), window)
            if count < ceiling:
                continue
            delay = min(
                settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS * 2 ** min(count - ceiling, 30),
                settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS,
            )
            cache.set(self._key(f"{kind}-next", value), now.timestamp() + delay, delay)
            logger.warning(
                "Login throttle (%s): %s failures for %s %r within %s s; next attempt from "
                "untrusted addresses delayed %s s",
                self.scope,
                count,
                "login" if kind == "login" else "address",
                value,
                window,
                delay,
            )

    def register_success(self, login: str, address: str, *, now: dt.datetime) -> None:
        """Clear the pair's failures and trust this address for this login from now on."""
        login = self._login(login)
        cache.delete(self._counter("pair", now, login, address))
        cache.set(
            self._key("trusted", login, address),
            1,
            settings.LOGIN_THROTTLE_TRUSTED_DAYS * 24 * 3600,
        )

    @staticmethod
    def _count(key: str, window: int) -> int:
        if cache.add(key, 1, timeout=window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:
            # The entry expired between add() and incr(): start a new window.
            cache.add(key, 1, timeout=window)
            return 1


# The site login and /admin/login/ share one family (the same ENT accounts); depositor
# accounts have their own logins.
web_login_throttle = LoginThrottle("web")
webdav_login_throttle = LoginThrottle("webdav")


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
