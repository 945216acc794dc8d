"""HTTP Basic authentication of depositor accounts for WsgiDAV."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from wsgidav.dc.base_dc import BaseDomainController

from accounts.throttle import client_address
from deposits.services import AuthenticatedDepositor, depositor_authenticate

DEPOSITOR_ENVIRON_KEY = "ent.depositor"
REALM = "ENT - import automatise"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class DepositorDomainController(BaseDomainController):
    """Check Basic credentials against depositor accounts; Digest is not offered.

    Digest would need the MD5 of the password stored, while accounts keep only Django hashes.
    """

    def __str__(self) -> str:
        return self.__class__.__name__

    def get_domain_realm(self, path_info: str, environ: dict[str, Any] | None) -> str:
        return REALM

    def require_authentication(self, realm: str, environ: dict[str, Any] | None) -> bool:
        return True

    def supports_http_digest_auth(self) -> bool:
        return False

    def basic_auth_user(
        self, realm: str, user_name: str, password: str, environ: dict[str, Any]
    ) -> bool:
        depositor = depositor_authenticate(
            login=user_name,
            password=password,
            address=client_address(environ),
            now=timezone.now(),
        )
        if depositor is None:
            return False
        environ[DEPOSITOR_ENVIRON_KEY] = depositor
        return True


def environ_depositor(environ: dict[str, Any] | None) -> AuthenticatedDepositor | None:
    """Return the depositor the request was authenticated as, if any."""
    if not environ:
        return None
    return environ.get(DEPOSITOR_ENVIRON_KEY)


def basic_header_guard(app: WsgiApp) -> WsgiApp:
    """Answer 401 to a malformed ``Authorization: Basic`` header.

    WsgiDAV decodes it unguarded and would answer 500.
    """

    def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header[:6].lower() == "basic " and not _well_formed_basic(header[6:].strip()):
            body = "Identifiants mal formés.\n".encode()
            start_response(
                "401 Unauthorized",
                [
                    ("WWW-Authenticate", f'Basic realm="{REALM}"'),
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        return app(environ, start_response)

    return guarded


def _well_formed_basic(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded
