"""The login throttling rule (accounts/throttle.py) and its three entry points on the site."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from accounts.throttle import LoginThrottle
from tests.conftest import PASSWORD, Personas
from tests.factories import UserFactory

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def test_past_the_login_ceiling_each_failure_doubles_the_wait_without_locking(
    settings: object,
) -> None:
    settings.LOGIN_THROTTLE_LOGIN_CEILING = 3  # type: ignore[attr-defined]
    throttle = LoginThrottle("unit")
    for n in range(3):
        throttle.register_failure("emp.a.b", f"10.0.0.{n}", now=NOW)
    first = throttle.check("emp.a.b", "10.0.0.50", now=NOW)
    after_first = throttle.check("emp.a.b", "10.0.0.50", now=NOW + dt.timedelta(seconds=5.5))
    throttle.register_failure("emp.a.b", "10.0.0.51", now=NOW + dt.timedelta(seconds=6))
    second = throttle.check("emp.a.b", "10.0.0.50", now=NOW + dt.timedelta(seconds=15))
    after_second = throttle.check("emp.a.b", "10.0.0.50", now=NOW + dt.timedelta(seconds=16.5))

    assert (first.allowed, first.retry_after, first.reason) == (False, 6, "login")
    assert after_first.allowed
    assert (second.allowed, second.reason) == (False, "login")
    assert after_second.allowed


def test_an_address_the_login_succeeded_from_is_never_delayed(settings: object) -> None:
    settings.LOGIN_THROTTLE_LOGIN_CEILING = 3  # type: ignore[attr-defined]
    settings.LOGIN_THROTTLE_ADDRESS_CEILING = 3  # type: ignore[attr-defined]
    throttle = LoginThrottle("unit")
    throttle.register_success("emp.a.b", "10.0.0.1", now=NOW)
    for n in range(10):
        throttle.register_failure("emp.a.b", f"10.0.1.{n}", now=NOW)
        throttle.register_failure(f"emp.x.{n}", "10.0.0.1", now=NOW)

    assert throttle.check("emp.a.b", "10.0.0.1", now=NOW).allowed
    assert not throttle.check("emp.a.b", "10.0.0.2", now=NOW).allowed
    assert not throttle.check("emp.c.d", "10.0.0.1", now=NOW).allowed


def _login(client: Client, url: str, username: str, password: str) -> str:
    return client.post(url, {"username": username, "password": password}).content.decode()


def test_wrong_passwords_on_admin_login_are_throttled(client: Client, db: None) -> None:
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(30):
        _login(client, url, "admin", "faux")

    page = _login(client, url, "admin", PASSWORD)

    assert "Trop de tentatives" in page
    assert "_auth_user_id" not in client.session


def test_admin_and_site_login_failures_count_together(client: Client, personas: Personas) -> None:
    personas.alice.is_staff = True
    personas.alice.save()
    for _ in range(3):
        _login(client, reverse("admin:login"), "alice", "faux")
    for _ in range(2):
        _login(client, reverse("accounts:login"), "alice", "faux")

    page = _login(client, reverse("accounts:login"), "alice", PASSWORD)

    assert "Trop de tentatives" in page
    assert "_auth_user_id" not in client.session


def test_another_account_from_the_same_address_still_logs_in(
    client: Client, personas: Personas
) -> None:
    for _ in range(10):
        _login(client, reverse("accounts:login"), "alice", "faux")

    response = client.post(
        reverse("accounts:login"), {"username": "hugo", "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert client.session["_auth_user_id"] == str(personas.hugo.pk)


def test_the_same_login_from_another_address_still_logs_in(personas: Personas) -> None:
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(10):
        _login(attacker, reverse("accounts:login"), "alice", "faux")
    alice = Client(REMOTE_ADDR="10.1.1.1")

    alice.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})

    assert alice.session["_auth_user_id"] == str(personas.alice.pk)
