"""The cheroot HTTP server every product process starts (``run_embedded``, ``serve_webdav``).

cheroot as shipped trusts its clients more than a public server can:

- it answers ``Expect: 100-continue`` with "100 Continue" as soon as the headers are read,
  before the application has authenticated anything, inviting an anonymous client to send
  gigabytes;
- when the application answers without reading the body (a 401, a 413), it reads the rest of
  the body in one ``read()`` to keep the connection alive: a 4 GB ``Content-Length`` became
  4 GB of memory;
- a chunked body is read a whole chunk at a time (a chunk may declare any size), and its
  size line is read without bound;
- its 413 text is English and its ``Server`` header names its version.

:class:`GuardedHTTPRequest` sends "100 Continue" only when the application first reads the
body (so only once authenticated and within limits: the limits and authentication run
before any read), never drains an unread body (beyond a few kilobytes it closes the
connection instead) and reads chunked bodies in bounded pieces. ``max_request_body_size``
refuses a larger ``Content-Length`` before the body is sent, in French.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import server as cheroot_server
from cheroot import wsgi

logger = logging.getLogger(__name__)

SERVER_NAME = "ENT"
LISTEN_BACKLOG = 256
# An unread body this small is read and dropped to keep the connection alive (Windows
# clients send a short PROPFIND body before their first 401); a larger one closes it.
DRAIN_MAX_BYTES = 64 * 1024
_READ_PIECE = 64 * 1024
_CHUNK_LINE_MAX = 1024
TOO_LARGE_TEXT = (
    "Requête refusée : son contenu dépasse la taille autorisée par le serveur de l'ENT. "
    "Vérifiez le fichier envoyé ou contactez l'administrateur de l'ENT."
)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class BodyTooLarge(OSError):
    """A chunked body went past the server's limit."""


class BoundedChunkedReader:
    """A ``wsgi.input`` for a chunked body that never holds more than one read's worth.

    Once past ``maxlen`` it returns what it has read, so the application sees the excess
    and refuses it with its own message; the next read raises :class:`BodyTooLarge`.
    """

    def __init__(self, rfile: Any, maxlen: int) -> None:
        self._rfile = rfile
        self._maxlen = maxlen
        self._left_in_chunk = 0
        self.bytes_read = 0
        self.closed = False
        self.exceeded = False

    def _next_chunk(self) -> None:
        line = self._rfile.readline(_CHUNK_LINE_MAX)
        if not line.endswith(b"\n"):
            raise ValueError("Bad chunked transfer size line")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ValueError("Bad chunked transfer size") from None
        if size <= 0:
            # Trailers, then the blank line.
            while self._rfile.readline(_CHUNK_LINE_MAX) not in (b"\r\n", b"\n", b""):
                pass
            self.closed = True
        self._left_in_chunk = size

    def read(self, size: int | None = -1) -> bytes:
        if self.exceeded:
            raise BodyTooLarge("Request Entity Too Large")
        wanted = _READ_PIECE if size is None or size < 0 else size
        pieces: list[bytes] = []
        got = 0
        while got < wanted and not self.closed:
            if self._left_in_chunk == 0:
                self._next_chunk()
                continue
            piece = self._rfile.read(min(self._left_in_chunk, wanted - got, _READ_PIECE))
            if not piece:
                raise ValueError("Chunked body ended early")
            pieces.append(piece)
            got += len(piece)
            self.bytes_read += len(piece)
            self._left_in_chunk -= len(piece)
            if self._left_in_chunk == 0 and self._rfile.read(2) != b"\r\n":
                raise ValueError("Bad chunked transfer coding")
            if self._maxlen and self.bytes_read > self._maxlen:
                self.exceeded = True
                break
        return b"".join(pieces)

    def readline(self, size: int | None = -1) -> bytes:
        # Bounded like read(): a body without newlines never grows one line without end.
        return self.read(_READ_PIECE if size is None or size < 0 else size)

    def __iter__(self) -> BoundedChunkedReader:
        return self

    def __next__(self) -> bytes:
        data = self.read(_READ_PIECE)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        return None

    @property
    def complete(self) -> bool:
        return self.closed


class ContinueOnFirstRead:
    """Send "100 Continue" when the application first reads the body, not before."""

    def __init__(self, body: Any, request: GuardedHTTPRequest) -> None:
        self._body = body
        self._request = request

    def _continue(self) -> None:
        self._request.send_continue()

    def read(self, *args: Any) -> bytes:
        self._continue()
        return self._body.read(*args)

    def readline(self, *args: Any) -> bytes:
        self._continue()
        return self._body.readline(*args)

    def readlines(self, *args: Any) -> list[bytes]:
        self._continue()
        return self._body.readlines(*args)

    def __iter__(self) -> ContinueOnFirstRead:
        return self

    def __next__(self) -> bytes:
        self._continue()
        return next(self._body)

    def close(self) -> None:
        self._body.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._body, name)


class _ExpectDeferringHeaderReader(cheroot_server.HeaderReader):
    """Take ``Expect: 100-continue`` away from cheroot, which would answer it at once."""

    def __init__(self, request: GuardedHTTPRequest) -> None:
        self._request = request

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> dict:
        hdict = super().__call__(rfile, hdict)
        if hdict.get(b"Expect", b"").lower() == b"100-continue":
            del hdict[b"Expect"]
            self._request.continue_pending = True
        return hdict


class GuardedHTTPRequest(cheroot_server.HTTPRequest):
    """cheroot's request handling with the body rules described in the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.continue_pending = False
        self.header_reader = _ExpectDeferringHeaderReader(self)
        self._body: Any = None

    def send_continue(self) -> None:
        if not self.continue_pending:
            return
        self.continue_pending = False
        if self.sent_headers:
            return
        self.conn.wfile.write(self.server.protocol.encode("ascii") + b" 100 Continue\r\n\r\n")

    def respond(self) -> None:
        mrbs = self.server.max_request_body_size
        if self.chunked_read:
            body: Any = BoundedChunkedReader(self.conn.rfile, mrbs)
        else:
            length = int(self.inheaders.get(b"Content-Length", 0))
            if mrbs and length > mrbs:
                if not self.sent_headers:
                    self.simple_response("413 Request Entity Too Large")
                return
            body = cheroot_server.KnownLengthRFile(self.conn.rfile, length)
        self._body = body
        self.rfile = ContinueOnFirstRead(body, self)
        self.server.gateway(self).respond()
        if self.ready:
            self.ensure_headers_sent()
        if self.chunked_write:
            self.conn.wfile.write(b"0\r\n\r\n")

    def send_headers(self) -> None:
        if not self.close_connection:
            self._settle_unread_body()
        super().send_headers()

    def _settle_unread_body(self) -> None:
        """Drop a small unread body; close the connection rather than read a large one."""
        body = self._body
        if body is None:
            return
        if isinstance(body, BoundedChunkedReader):
            if not body.complete:
                self.close_connection = True
            return
        remaining = getattr(body, "remaining", 0)
        if remaining <= 0:
            return
        if self.continue_pending or remaining > DRAIN_MAX_BYTES:
            # The client waits for "100 Continue" or would send too much: never read it.
            self.continue_pending = False
            self.close_connection = True
            return
        while body.remaining > 0 and body.read(min(body.remaining, 8192)):
            pass

    def simple_response(self, status: Any, msg: str = "") -> None:
        if str(status).startswith("413"):
            logger.warning(
                "Request refused before reading its body (413): %s %s from %s",
                self.method.decode("ascii", "replace") if self.method else "?",
                self.path.decode("ascii", "replace")[:200] if self.path else "?",
                getattr(self.conn, "remote_addr", "?"),
            )
            msg = TOO_LARGE_TEXT
            # cheroot writes msg as latin-1 bytes; send UTF-8 instead.
            return self._simple_utf8(str(status), msg)
        return super().simple_response(status, msg)

    def _simple_utf8(self, status: str, msg: str) -> None:
        body = msg.encode("utf-8")
        self.close_connection = True
        head = (
            f"{self.server.protocol} {status}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Connection: close\r\n\r\n"
        ).encode("ascii")
        with contextlib.suppress(OSError):
            self.conn.wfile.write(head + body)


class GuardedHTTPConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = GuardedHTTPRequest


def guarded_server(
    app: WsgiApp,
    *,
    host: str,
    port: int,
    threads: int,
    max_body_bytes: int,
    backlog: int = LISTEN_BACKLOG,
) -> wsgi.Server:
    """Return a cheroot server for ``app`` that refuses bodies over ``max_body_bytes``.

    The applications apply their own, usually smaller, limits (:mod:`ent.limits`); this one
    is the ceiling nothing goes past, checked before a single byte of body is read.
    """
    server = wsgi.Server(
        (host, port),
        app,
        numthreads=threads,
        # cheroot's default backlog of 5 drops connections when dozens of clients connect
        # at once (SYN retries, resets); the queue waits for a free thread instead.
        request_queue_size=backlog,
        server_name=SERVER_NAME,
    )
    server.ConnectionClass = GuardedHTTPConnection
    server.max_request_body_size = max_body_bytes
    # No version in the environ's SERVER_SOFTWARE either.
    server.software = SERVER_NAME
    return server
