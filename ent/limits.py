"""Request body limits, applied before Django or WsgiDAV reads a byte of the body.

Each request gets the smallest limit its kind needs:

- a WebDAV ``PUT`` (a deposit): ``ENT_MAX_DEPOSIT_BYTES``;
- any other WebDAV request (PROPFIND, LOCK… XML bodies): ``ENT_WEBDAV_MAX_XML_BYTES``;
- a ``multipart/form-data`` form of the site (the manual import upload):
  ``ENT_MAX_DEPOSIT_BYTES`` plus room for the form's other fields;
- any other form of the site: ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

A declared ``Content-Length`` over the limit gets 413 with a French text at once; a chunked
body is cut off past the limit (the server closes the connection rather than read the
rest).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

WEBDAV_PREFIX = "/webdav"
MULTIPART_SLACK_BYTES = 1024 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def body_limit(environ: dict[str, Any]) -> int:
    """Return the largest body (bytes) accepted for the request described by ``environ``."""
    path = environ.get("PATH_INFO", "")
    if path == WEBDAV_PREFIX or path.startswith(WEBDAV_PREFIX + "/"):
        if environ.get("REQUEST_METHOD", "").upper() == "PUT":
            return settings.ENT_MAX_DEPOSIT_BYTES
        return settings.ENT_WEBDAV_MAX_XML_BYTES
    if environ.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data"):
        return settings.ENT_MAX_DEPOSIT_BYTES + MULTIPART_SLACK_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def server_body_ceiling() -> int:
    """The largest body any route accepts: the server refuses more before reading it."""
    return settings.ENT_MAX_DEPOSIT_BYTES + MULTIPART_SLACK_BYTES


def too_large_response(
    environ: dict[str, Any], start_response: StartResponse, limit: int
) -> list[bytes]:
    """Answer 413 in French, closing the connection (the body is never read)."""
    text = (
        f"Requête refusée : son contenu dépasse la limite de {limit} octets. "
        "Vérifiez le fichier envoyé ; si la limite est trop basse pour vos exports, "
        "contactez l'administrateur de l'ENT.\n"
    )
    body = text.encode("utf-8")
    start_response(
        "413 Request Entity Too Large",
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]


class _CappedInput:
    """A ``wsgi.input`` that reads at most ``limit + 1`` bytes of a chunked body.

    The extra byte lets the application see that the body is too large and refuse it with
    its own message; nothing past it is ever read.
    """

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._left = limit + 1

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        data = self._stream.read(wanted)
        self._left -= len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        return self.read(wanted) if wanted > 0 else b""

    def __iter__(self) -> _CappedInput:
        return self

    def __next__(self) -> bytes:
        data = self.read(64 * 1024)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def limit_request_bodies(app: WsgiApp) -> WsgiApp:
    """Wrap ``app`` so that bodies over :func:`body_limit` are refused unread."""

    def limited(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        limit = body_limit(environ)
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.strip().isdigit() and int(declared) > limit:
            logger.warning(
                "Body of %s bytes refused (limit %s): %s %s from %s",
                declared,
                limit,
                environ.get("REQUEST_METHOD", ""),
                environ.get("PATH_INFO", "")[:200],
                environ.get("REMOTE_ADDR", ""),
            )
            return too_large_response(environ, start_response, limit)
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            environ["wsgi.input"] = _CappedInput(environ["wsgi.input"], limit)
        return app(environ, start_response)

    return limited
