"""Build the WebDAV deposit application and mount it beside Django under ``/webdav``."""

from __future__ import annotations

import logging
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse, urlsplit, urlunsplit

from cheroot import wsgi
from django.conf import settings
from django.db import close_old_connections, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http.request import split_domain_port, validate_host
from wsgidav import util
from wsgidav.dav_error import DAVError
from wsgidav.error_printer import ErrorPrinter
from wsgidav.http_authenticator import HTTPAuthenticator
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from deposits.webdav.auth import DepositorDomainController, basic_header_guard
from deposits.webdav.locks import DepositLockManager, webdav_lock_storage
from deposits.webdav.provider import COMPLIANCE, DEPOSIT, DepositProvider
from ent.httpserver import guarded_server
from ent.limits import limit_request_bodies, server_body_ceiling

MOUNT_PATH = "/webdav"
logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def build_webdav_app(
    *,
    profile: str = DEPOSIT,
    spool_dir: Path | None = None,
    max_bytes: int | None = None,
    lock_storage: Any = None,
) -> WsgiApp:
    """Return the WSGI application serving depositor folders, to be mounted at ``/webdav``.

    ``profile`` is ``"deposit"`` in production; ``"compliance"`` lets WebDAV test suites
    create any file or folder inside an account's tree (see :class:`DepositProvider`). Dead
    properties (PROPPATCH of arbitrary XML) are kept, in memory, only in ``compliance``:
    deposits need none, and ``deposit`` answers 403 to them.
    """
    # No version in error pages (WsgiDAV names itself and its version by default).
    util.public_wsgidav_info = "ENT"
    util.public_python_info = ""
    provider = DepositProvider(
        Path(spool_dir or settings.ENT_WEBDAV_SPOOL_DIR),
        max_bytes=max_bytes if max_bytes is not None else settings.ENT_MAX_DEPOSIT_BYTES,
        profile=profile,
    )
    config = {
        "mount_path": MOUNT_PATH,
        "provider_mapping": {"/": provider},
        "http_authenticator": {
            "domain_controller": DepositorDomainController,
            "accept_basic": True,
            "accept_digest": False,
            "default_to_digest": False,
            "trusted_auth_header": None,
        },
        # No CORS and no HTML directory browser: only WebDAV clients talk to this.
        "middleware_stack": [ErrorPrinter, HTTPAuthenticator, RequestResolver],
        "dir_browser": {"enable": False},
        # The lock manager is ours (DepositLockManager, below), over the configured storage.
        "lock_storage": None,
        "property_manager": profile == COMPLIANCE,
        "hotfixes": {"emulate_win32_lastmod": True},
        "block_size": 1024 * 1024,
        "suppress_version_info": True,
        "verbose": 2,
    }
    dav = WsgiDAVApp(config)
    dav.lock_manager = DepositLockManager(
        lock_storage if lock_storage is not None else webdav_lock_storage()
    )
    provider.set_lock_manager(dav.lock_manager)
    return _host_guard(basic_header_guard(_path_guard(_db_hygiene(dav))))


def mount_webdav(django_app: WsgiApp, *, webdav_app: WsgiApp | None = None) -> WsgiApp:
    """Route ``/webdav`` and below to the WebDAV application, the rest to ``django_app``.

    Every request passes the body limits of :mod:`ent.limits` first.
    """
    dav = webdav_app if webdav_app is not None else build_webdav_app()

    def dispatch(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == MOUNT_PATH or path.startswith(MOUNT_PATH + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + MOUNT_PATH
            environ["PATH_INFO"] = path[len(MOUNT_PATH) :] or "/"
            return dav(environ, start_response)
        return django_app(environ, start_response)

    return limit_request_bodies(dispatch)


def not_found_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answer 404 outside ``/webdav`` when the WebDAV server runs on its own."""
    body = b"Not found: the WebDAV deposit lives under /webdav/\n"
    start_response(
        "404 Not Found",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]


class ServerConnections:
    """The database connections opened by a server's worker threads.

    Django keeps one connection per thread (``CONN_MAX_AGE``); cheroot's worker threads never
    tell Django they end, so their connections would outlive the server. :meth:`close_all`
    closes them once the server has stopped.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()

    def track(self, app: WsgiApp) -> WsgiApp:
        """Wrap ``app`` so that the connections of each serving thread are remembered."""

        def tracked(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            thread_connections = connections.all()
            with self._lock:
                self._seen.update(thread_connections)
            return app(environ, start_response)

        return tracked

    def close_all(self) -> None:
        """Close every remembered connection; call it only once the server has stopped."""
        with self._lock:
            seen = list(self._seen)
            self._seen.clear()
        for connection in seen:
            # The connections belong to the (finished) worker threads: allow this thread to
            # close them.
            connection.inc_thread_sharing()
            try:
                connection.close()
            finally:
                connection.dec_thread_sharing()


def webdav_server(
    app: WsgiApp, *, host: str, port: int, threads: int, max_body_bytes: int | None = None
) -> tuple[wsgi.Server, ServerConnections]:
    """Return a guarded cheroot server for ``app`` and the tracker of its database connections.

    Stop it with :func:`webdav_server_stop`. A ``Content-Length`` over ``max_body_bytes``
    (default :func:`server_body_ceiling`) gets 413 before the client sends the body.
    """
    tracker = ServerConnections()
    server = guarded_server(
        tracker.track(app),
        host=host,
        port=port,
        threads=threads,
        max_body_bytes=max_body_bytes if max_body_bytes is not None else server_body_ceiling(),
    )
    # Keep-alive connections held open between requests (cheroot: 10); Windows and rclone
    # reuse their connection for the several requests of one upload.
    server.keep_alive_conn_limit = max(threads * 2, 10)
    return server, tracker


# How long a stop may wait for the server's threads. cheroot gives each a few seconds, then
# joins a worker that has not taken its stop request without any limit (ThreadPool.stop):
# seen once in a test run, a server that printed its stop message and never exited.
STOP_SECONDS = 15.0


def webdav_server_stop(
    server: wsgi.Server, tracker: ServerConnections, *, seconds: float = STOP_SECONDS
) -> bool:
    """Stop ``server``, wait for its threads, then close their database connections.

    Returns False when the threads have not all stopped within ``seconds``: the connections
    are then left open (a live thread may still use one) for the caller to end the process.
    """
    stopper = threading.Thread(target=server.stop, name="webdav-stop", daemon=True)
    stopper.start()
    stopper.join(seconds)
    if stopper.is_alive():
        logger.error("WebDAV server threads still running %.0f s after the stop", seconds)
        return False
    tracker.close_all()
    return True


def _plain_response(
    start_response: StartResponse, status: str, text: str, *, close: bool = False
) -> list[bytes]:
    body = text.encode("utf-8")
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
    ]
    if close:
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]


def _is_utf8(path: str) -> bool:
    """Tell whether a WSGI path (latin-1 of the raw bytes) is UTF-8."""
    try:
        path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def _invalid_path(path: str) -> bool:
    """A WSGI path (latin-1 of the raw bytes) that is not UTF-8 or holds control characters."""
    if not _is_utf8(path):
        return True
    decoded = path.encode("latin-1").decode("utf-8")
    return any(ord(char) < 32 or ord(char) == 127 for char in decoded)


def _path_guard(app: WsgiApp) -> WsgiApp:
    """Answer 400 to an invalid path, or one escaping the root (``..``), with a complete body.

    NUL and other control characters, or bytes that are not UTF-8, in the path or in the
    ``Destination`` of any method would otherwise reach the filesystem (500, "embedded null
    byte"). WsgiDAV 4.4 refuses ``..`` too, but from inside a generator, so the error body is
    lost while its ``Content-Length`` is sent: the client then waits for bytes that never come.

    A name that is not UTF-8 (an old client sending Latin-1) is refused with a French reason
    instead of being stored under a garbled name; names are put in Unicode's composed form
    (NFC: macOS sends "é" as "e" + accent), in the path and in ``Destination``, so that one
    name is one file.
    """

    def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        destination = unquote(urlparse(environ.get("HTTP_DESTINATION", "")).path)
        if _invalid_path(path) or _invalid_path(destination):
            logger.warning(
                "WebDAV request with an invalid path refused (400): %s %r",
                environ.get("REQUEST_METHOD", ""),
                path[:200],
            )
            return _plain_response(
                start_response,
                "400 Bad Request",
                NOT_UTF8_MESSAGE
                if not _is_utf8(path)
                else "Chemin invalide : le nom du fichier contient des caractères non acceptés.\n",
            )
        if path != "*":
            try:
                path = _composed_utf8(path)
                if environ.get("HTTP_DESTINATION"):
                    environ["HTTP_DESTINATION"] = _composed_destination(environ["HTTP_DESTINATION"])
            except UnicodeError:
                return _plain_response(start_response, "400 Bad Request", NOT_UTF8_MESSAGE)
            # WSGI strings carry bytes as Latin-1; WsgiDAV decodes them as UTF-8 again.
            environ["PATH_INFO"] = path.encode("utf-8").decode("iso-8859-1")
            try:
                util.normalize_path(path)
            except DAVError as error:
                return util.send_status_response(environ, start_response, error)
        return app(environ, start_response)

    return guarded


NOT_UTF8_MESSAGE = (
    "Dépôt refusé : le nom du fichier n'est pas écrit en UTF-8. Renommez le fichier sans "
    "caractères accentués, ou réglez votre logiciel de dépôt pour qu'il envoie les noms en "
    "UTF-8, puis déposez-le de nouveau.\n"
)


def _composed_utf8(wsgi_path: str) -> str:
    """Decode a WSGI path (UTF-8 bytes as Latin-1) and compose it (NFC)."""
    return unicodedata.normalize("NFC", wsgi_path.encode("iso-8859-1").decode("utf-8"))


def _composed_destination(destination: str) -> str:
    parts = urlsplit(destination)
    path = unicodedata.normalize("NFC", unquote(parts.path, errors="strict"))
    return urlunsplit(parts._replace(path=quote(path)))


def _host_guard(app: WsgiApp) -> WsgiApp:
    """Apply ``ALLOWED_HOSTS`` to ``/webdav`` as Django applies it to the site."""

    def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        if not domain or not validate_host(domain, allowed):
            logger.warning("WebDAV request for a host not in ALLOWED_HOSTS refused: %r", host)
            return _plain_response(
                start_response,
                "400 Bad Request",
                "Nom d'hôte non autorisé : utilisez l'adresse de dépôt donnée par l'ENT.\n",
                close=True,
            )
        return app(environ, start_response)

    return guarded


class _QuietOversizePut(logging.Filter):
    """Drop WsgiDAV's traceback for a PUT refused as too large: the 413 says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != "PUT: byte copy failed" or not record.exc_info:
            return True
        error = record.exc_info[1]
        return not (isinstance(error, DAVError) and error.value == 413)


logging.getLogger("wsgidav.request_server").addFilter(_QuietOversizePut())


def _db_hygiene(app: WsgiApp) -> WsgiApp:
    """Give each WebDAV request fresh database connections, as Django's handler does."""

    def wrapped(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        close_old_connections()
        try:
            yield from app(environ, start_response)
        finally:
            close_old_connections()

    return wrapped
