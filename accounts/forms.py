from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
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


class DepositorAddForm(forms.Form):
    """Choose the ENT user who gets a depositor account."""

    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        label=_("Utilisateur"),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Cet utilisateur n'existe pas ou n'est plus actif.")},
    )
    notify = forms.BooleanField(
        label=_("Notification des imports"),
        required=False,
        initial=True,
        help_text=_("Le dépositaire reçoit le bilan de chaque import automatisé."),
    )


class DepositorNotifyForm(forms.Form):
    notify = forms.BooleanField(required=False)
