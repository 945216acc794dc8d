"""WebDAV lock storage shared by every WebDAV process and thread.

With Redis (``REDIS_URL``), locks live there, so any number of WebDAV processes agree on them.
Without it (the embedded default, a single WebDAV process), they live in a shelve file under
``VAR_DIR``. Lock lifetimes are capped: a client that vanishes leaves no lock for a week; lock
owners larger than ``ENT_WEBDAV_LOCK_OWNER_MAX_BYTES`` are refused, so the store stays small.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from wsgidav import util
from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_LOCKED, DAVError
from wsgidav.lock_man.lock_manager import LockManager, normalize_lock_root
from wsgidav.lock_man.lock_storage import LockStorageShelve
from wsgidav.lock_man.lock_storage_redis import LockStorageRedis

_shelve_lock = threading.Lock()
_shelve_storages: dict[str, LockStorageShelve] = {}


def _bounded(lock: dict[str, Any]) -> dict[str, Any]:
    """Refuse an oversized lock owner; cap the lock's lifetime."""
    owner = lock.get("owner") or b""
    if len(owner) > settings.ENT_WEBDAV_LOCK_OWNER_MAX_BYTES:
        raise DAVError(
            HTTP_BAD_REQUEST,
            context_info=(
                f"Verrou refusé : la description du propriétaire dépasse "
                f"{settings.ENT_WEBDAV_LOCK_OWNER_MAX_BYTES} octets."
            ),
        )
    lock["timeout"] = _capped(lock.get("timeout"))
    return lock


def _capped(timeout: float | None) -> float:
    cap = float(settings.ENT_WEBDAV_LOCK_TIMEOUT_MAX)
    if timeout is None or timeout < 0 or timeout > cap:
        return cap
    return float(timeout)


class CappedLockStorageRedis(LockStorageRedis):
    """WsgiDAV's Redis lock storage, configured from a URL, with its own key prefix."""

    def __init__(self, *, url: str, prefix: str) -> None:
        parsed = urlparse(url)
        super().__init__(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int(parsed.path.strip("/") or 0),
            password=unquote(parsed.password) if parsed.password else None,
        )
        self._redis_prefix = prefix + ":{}"
        self._redis_lock_prefix = self._redis_prefix.format("lock:{}")
        self._redis_url2token_prefix = self._redis_prefix.format("URL2TOKEN:{}")

    def __repr__(self) -> str:
        return f"CappedLockStorageRedis({self._redis_prefix!r})"

    def open(self) -> None:
        if self._redis is None:  # one storage may serve several lock managers
            super().open()

    def get_lock_lists(self, paths: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The direct locks of each of ``paths`` (normalised), in one Redis round trip.

        Paths holding lock tokens (rare: deposits are seldom locked) are then read as
        :meth:`get_lock_list` reads them, expired locks left out.
        """
        pipeline = self._redis.pipeline(transaction=False)
        for path in paths:
            pipeline.lrange(self._redis_url2token_prefix.format(path), 0, -1)
        return {
            path: self.get_lock_list(
                path, include_root=True, include_children=False, token_only=False
            )
            if tokens
            else []
            for path, tokens in zip(paths, pipeline.execute(), strict=True)
        }

    def create(self, path: str, lock: dict[str, Any]) -> dict[str, Any]:
        return super().create(path, _bounded(lock))

    def refresh(self, token: str, *, timeout: float) -> dict[str, Any]:
        return super().refresh(token, timeout=_capped(timeout))


class CappedLockStorageShelve(LockStorageShelve):
    """WsgiDAV's shelve lock storage, opened once per process and per file."""

    def open(self) -> None:
        if self._dict is None:
            super().open()

    def close(self) -> None:
        # Shared by every app of the process; the file closes when the process ends.
        return None

    def create(self, path: str, lock: dict[str, Any]) -> dict[str, Any]:
        return super().create(path, _bounded(lock))

    def refresh(self, token: str, *, timeout: float) -> dict[str, Any]:
        return super().refresh(token, timeout=_capped(timeout))


def webdav_lock_storage() -> LockStorageRedis | LockStorageShelve:
    """Return the lock storage for this deployment (Redis, else a shelve under VAR_DIR)."""
    if settings.REDIS_URL:
        return CappedLockStorageRedis(
            url=settings.REDIS_URL, prefix=settings.ENT_WEBDAV_LOCK_PREFIX
        )
    path = str(Path(settings.ENT_WEBDAV_SPOOL_DIR) / "locks")
    with _shelve_lock:
        if path not in _shelve_storages:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _shelve_storages[path] = CappedLockStorageShelve(path)
        return _shelve_storages[path]


class DepositLockManager(LockManager):
    """WsgiDAV's lock manager, reading the locks of a URL and of its parents at once, and
    never while holding its process-wide lock during a write.

    Before any write, WsgiDAV looks for locks on the URL and on every parent collection, one
    storage read each, twice per PUT, under its process-wide lock: with Redis, a dozen round
    trips per deposit while other deposits of the process queue behind them (a third of a
    burst's PUT time, measured with py-spy). Here the storage answers for the whole chain in
    one round trip (:meth:`CappedLockStorageRedis.get_lock_lists`), and a write holds the
    process-wide lock only to mark itself; the conflict rules are WsgiDAV's own.
    """

    def __init__(self, storage: Any) -> None:
        super().__init__(storage)
        self._prefetched = threading.local()

    def check_write_permission(
        self, *, url: str, depth: str, token_list: list[str], principal: str
    ) -> None:
        # A read of the lock storage: no process-wide lock is needed, the write that follows
        # is checked again in _begin_write_transaction.
        conflicts = self._get_write_conflicts(url, depth, token_list, principal)
        if conflicts.hrefs:
            raise DAVError(HTTP_LOCKED, err_condition=conflicts)

    def _begin_write_transaction(
        self, *, url: str, token_list: list[str], principal: str, depth: str = "0"
    ) -> None:
        """Mark ``url`` as being written, then check that no lock forbids it.

        WsgiDAV checks and marks under its process-wide lock, storage reads included. The
        mark alone is taken under it here, before the check: a LOCK acquired (under that lock)
        before the mark is seen by the check, and one tried after it sees the mark and is
        refused, so a lock still cannot slip in during a write (CWE-367).
        """
        root = normalize_lock_root(url)
        self._lock.acquire_write()
        try:
            self._active_writes[root] = self._active_writes.get(root, 0) + 1
        finally:
            self._lock.release()
        try:
            conflicts = self._get_write_conflicts(root, depth, token_list, principal)
        except BaseException:
            self._end_write_transaction(root)
            raise
        if conflicts.hrefs:
            self._end_write_transaction(root)
            raise DAVError(HTTP_LOCKED, err_condition=conflicts)

    def _get_write_conflicts(
        self, url: str, depth: str, token_list: list[str], principal: str
    ) -> Any:
        batch = getattr(self.storage, "get_lock_lists", None)
        if batch is None:
            return super()._get_write_conflicts(url, depth, token_list, principal)
        self._prefetched.lists = batch(_self_and_parents(url))
        try:
            return super()._get_write_conflicts(url, depth, token_list, principal)
        finally:
            self._prefetched.lists = None

    def get_url_lock_list(self, url: str, *, recursive: bool = False) -> list[dict[str, Any]]:
        prefetched = getattr(self._prefetched, "lists", None)
        if prefetched is not None and not recursive:
            root = normalize_lock_root(url)
            if root in prefetched:
                return prefetched[root]
        return super().get_url_lock_list(url, recursive=recursive)


def _self_and_parents(url: str) -> list[str]:
    """``url`` and its parent collections, as WsgiDAV walks them, normalised as lock roots."""
    chain = []
    while url:
        chain.append(normalize_lock_root(url))
        url = util.get_uri_parent(url)
    return chain
