"""The client address used by login throttling, directly or behind a trusted proxy."""

from __future__ import annotations

from accounts.throttle import client_address


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings: object) -> None:
    settings.ENT_TRUSTED_PROXIES = []  # type: ignore[attr-defined]

    address = client_address({"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "1.2.3.4"})

    assert address == "203.0.113.7"


def test_behind_a_trusted_proxy_the_last_untrusted_hop_counts(settings: object) -> None:
    settings.ENT_TRUSTED_PROXIES = ["10.0.0.1", "10.0.0.2"]  # type: ignore[attr-defined]
    # The first entry is whatever the client claimed; only what the proxies appended counts.
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.9, 10.0.0.2"}

    assert client_address(meta) == "198.51.100.9"


def test_a_trusted_proxy_without_forwarded_header_is_the_address(settings: object) -> None:
    settings.ENT_TRUSTED_PROXIES = ["10.0.0.1"]  # type: ignore[attr-defined]

    assert client_address({"REMOTE_ADDR": "10.0.0.1"}) == "10.0.0.1"
