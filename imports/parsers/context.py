"""Build the parsers' :class:`~imports.parsers.base.ParseContext` from Django settings.

Settings read (all optional): ``PRONOTE_PARTNER_NAME``, ``PRONOTE_PRIVATE_KEY_PATH`` (the
key is read only if the file exists), ``ENT_MAX_DEPOSIT_BYTES``, ``ENT_MAX_ZIP_MEMBERS``,
``ENT_MAX_UNCOMPRESSED_BYTES``, ``ENT_MAX_COMPRESSION_RATIO`` and ``ENT_MAX_DECRYPTED_BYTES``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from imports.parsers.base import Limits, ParseContext


def _private_key_pem() -> bytes | None:
    configured = getattr(settings, "PRONOTE_PRIVATE_KEY_PATH", "")
    if not configured:
        return None
    path = Path(configured)
    return path.read_bytes() if path.is_file() else None


def limits_from_settings() -> Limits:
    """Return the deposit limits, each from its setting or the :class:`Limits` default."""
    defaults = Limits()
    return Limits(
        max_bytes=getattr(settings, "ENT_MAX_DEPOSIT_BYTES", defaults.max_bytes),
        max_zip_members=getattr(settings, "ENT_MAX_ZIP_MEMBERS", defaults.max_zip_members),
        max_uncompressed_bytes=getattr(
            settings, "ENT_MAX_UNCOMPRESSED_BYTES", defaults.max_uncompressed_bytes
        ),
        max_compression_ratio=getattr(
            settings, "ENT_MAX_COMPRESSION_RATIO", defaults.max_compression_ratio
        ),
        max_decrypted_bytes=getattr(
            settings, "ENT_MAX_DECRYPTED_BYTES", defaults.max_decrypted_bytes
        ),
    )


def parse_context_from_settings() -> ParseContext:
    """Return the partner name, private key and limits the parsers run with."""
    return ParseContext(
        partner_name=getattr(settings, "PRONOTE_PARTNER_NAME", ""),
        private_key_pem=_private_key_pem(),
        limits=limits_from_settings(),
    )
