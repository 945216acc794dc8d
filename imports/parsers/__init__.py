"""Timetable parsers: one module per source format, no database access.

:func:`~imports.parsers.registry.parse_deposit` is the single entry point the pipeline uses:
it asks each registered parser (:mod:`imports.parsers.registry`) whether it recognises the
file's first bytes, hands the file to that parser and returns a
:class:`~imports.timetable.Timetable`, or raises :class:`~imports.timetable.TimetableInvalid`
with French messages and the action to take.

Every parser works on a local file path (deposits are kept on disk or in storage and copied
to a temporary file), streams where it can, and is hardened: no entity expansion, no DTD, no
network, bounded sizes (:class:`~imports.parsers.base.Limits`).
"""

from __future__ import annotations

from imports.parsers.base import Limits, ParseContext
from imports.parsers.registry import parse_deposit

__all__ = ["Limits", "ParseContext", "parse_deposit"]
