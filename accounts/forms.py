from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.throttle import LoginThrottle, client_address

web_login_throttle = LoginThrottle("web")


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing further attempts after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Trop de tentatives de connexion ont échoué. Patientez quelques minutes puis "
            "réessayez, ou demandez à l'administrateur de l'ENT de vérifier votre compte."
        ),
    }

    def clean(self) -> dict[str, Any]:
        login = self.data.get("username", "")
        address = client_address(self.request.META) if self.request else ""
        if web_login_throttle.is_blocked(login, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            web_login_throttle.register_failure(login, address)
            raise
        web_login_throttle.reset(login)
        return cleaned
