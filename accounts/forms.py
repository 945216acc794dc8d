from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.throttle import client_address, web_login_throttle


class ThrottledLoginMixin:
    """Refuse attempts the throttle holds back; count failures and successes.

    Used by the site login and the admin login, so both follow :mod:`accounts.throttle`.
    """

    throttled_message = _(
        "Trop de tentatives de connexion ont échoué. Patientez %(minutes)s minute(s) puis "
        "réessayez, ou demandez à l'administrateur de l'ENT de vérifier votre compte."
    )

    def clean(self) -> dict[str, Any]:
        login = self.data.get("username", "")  # type: ignore[attr-defined]
        request = self.request  # type: ignore[attr-defined]
        address = client_address(request.META) if request else ""
        now = timezone.now()
        decision = web_login_throttle.check(login, address, now=now)
        if not decision.allowed:
            raise forms.ValidationError(
                self.throttled_message,
                code="throttled",
                params={"minutes": max(1, -(-decision.retry_after // 60))},
            )
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            web_login_throttle.register_failure(login, address, now=now)
            raise
        web_login_throttle.register_success(login, address, now=now)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The site's login form."""

    # Never says which of the two was wrong: that would tell an attacker which logins exist.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Identifiant ou mot de passe non reconnu. Vérifiez les deux (majuscules, "
            "clavier) puis réessayez ; en cas d'oubli, demandez à l'administrateur de l'ENT "
            "de votre établissement de vérifier votre compte."
        ),
    }


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The login form of ``/admin/``: staff accounts get the same throttling."""
