"""The content fingerprint of an EDT / PRONOTE payload ignores comments, and only them."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from imports.parsers.index_education import _without_comments, payload_fingerprint

COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
# Bytes rich in comment openers and closers, so that edge cases ("<!-->", "<!--->", unclosed
# comments, nested openers) come up often.
PIECES = st.lists(st.sampled_from([b"<!--", b"-->", b"-", b"<", b"!", b">", b"a", b"\n", b" "]))


@given(PIECES)
def test_comments_are_removed_exactly_as_the_xml_comment_pattern_removes_them(
    pieces: list[bytes],
) -> None:
    payload = b"".join(pieces)

    assert _without_comments(payload) == COMMENT.sub(b"", payload)


def test_a_padded_export_has_the_fingerprint_of_the_plain_one() -> None:
    plain = b'<?xml version="1.0"?>\n<EXPORT_EDT><COURS Ident="1"/></EXPORT_EDT>\n'
    padded = plain + b"<!-- " + b"x" * (5 * 1024 * 1024) + b" -->\n"

    assert payload_fingerprint(padded) == payload_fingerprint(plain)
    assert payload_fingerprint(plain.replace(b'"1"', b'"2"')) != payload_fingerprint(plain)
