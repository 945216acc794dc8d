"""Headers of the site's pages: CSP, Referrer-Policy, no caching once logged in, Secure cookies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, Personas

BASE_DIR = Path(__file__).resolve().parents[2]


def test_every_page_carries_a_strict_content_security_policy_and_referrer_policy(
    client: Client, personas: Personas
) -> None:
    anonymous = client.get(reverse("accounts:login"))
    client.force_login(personas.alice)
    home = client.get(reverse("home"))

    for response in (anonymous, home):
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_pages_need_no_inline_script_or_style(client: Client, personas: Personas) -> None:
    client.force_login(personas.hugo)
    group = personas.group_a.pk
    pages = [
        reverse("home"),
        reverse("school_group_detail", args=[group]),
        reverse("deposits:depositor_list", args=[group]),
        reverse("accounts:message_list"),
        f"/cites/{group}/imports/",
    ]
    for url in pages:
        html = client.get(url, follow=True).content.decode()
        inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
        assert inline_scripts == [], url
        assert not re.search(r"\sstyle=|<style\b|\son[a-z]+=", html), url


def test_logged_in_pages_are_never_stored_by_caches(client: Client, personas: Personas) -> None:
    personas.alice.is_staff = True
    personas.alice.save()
    client.force_login(personas.alice)

    for url in (
        reverse("home"),
        reverse("school_group_detail", args=[personas.group_a.pk]),
        reverse("accounts:message_list"),
        reverse("admin:index"),
    ):
        assert "no-store" in client.get(url).headers["Cache-Control"], url


def test_cookies_are_secure_when_django_secure_is_on(
    client: Client, personas: Personas, settings: object
) -> None:
    # What DJANGO_SECURE=1 sets (read by the settings module, checked below in a process).
    settings.SESSION_COOKIE_SECURE = True  # type: ignore[attr-defined]
    settings.CSRF_COOKIE_SECURE = True  # type: ignore[attr-defined]
    client.get(reverse("accounts:login"), secure=True)
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}, secure=True
    )

    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["csrftoken"]["secure"]
    assert response.cookies["sessionid"]["httponly"]


def test_django_secure_turns_every_cookie_secure(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SECURE": "1",
        "DJANGO_SECRET_KEY": "x" * 60,
        "ENT_VAR_DIR": str(tmp_path),
    }
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "ent.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert result.stdout.split() == ["True", "True", "True"]
