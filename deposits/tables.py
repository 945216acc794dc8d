"""django-tables2 tables of the depositor account pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from deposits.models import DepositorAccount


class DepositorAccountTable(tables.Table):
    person = tables.Column(
        verbose_name=_("Utilisateur"),
        accessor="user",
        order_by=("user__last_name", "user__first_name"),
    )
    login = tables.Column(verbose_name=_("Identifiant d'accès"))
    notify = tables.TemplateColumn(
        template_name="deposits/_depositor_notify_cell.html", verbose_name=_("Notification")
    )
    created_at = tables.DateTimeColumn(verbose_name=_("Créé le"), format="d/m/Y H:i")
    last_deposit_at = tables.DateTimeColumn(
        verbose_name=_("Dernier dépôt"), format="d/m/Y H:i", default=_("Aucun")
    )
    actions = tables.TemplateColumn(
        template_name="deposits/_depositor_actions_cell.html",
        verbose_name=_("Actions"),
        orderable=False,
    )

    class Meta:
        model = DepositorAccount
        fields = ("person", "login", "notify", "created_at", "last_deposit_at", "actions")
        orderable = False
        empty_text = _("Aucun compte d'accès pour le moment.")

    def __init__(self, *args: object, can_manage: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.can_manage = can_manage
        if not can_manage:
            self.columns.hide("actions")

    def render_person(self, value: object) -> str:
        user = value
        full = f"{user.last_name.upper()} {user.first_name}".strip()  # type: ignore[attr-defined]
        name = full or user.username  # type: ignore[attr-defined]
        if user.is_active:  # type: ignore[attr-defined]
            return name
        return format_html(
            '{} <span class="status-error" data-suspended>— {}</span>',
            name,
            _("suspendu : identifiant ENT fermé, à supprimer et remplacer"),
        )
