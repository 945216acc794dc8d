from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from imports.history import run_reason
from imports.models import ImportRun
from imports.status_display import status_badge


class ImportRunTable(tables.Table):
    received_at = tables.DateTimeColumn(verbose_name=_("Date"), format="d/m/Y H:i")
    status = tables.Column(verbose_name=_("Statut"), order_by=("status_rank", "-received_at"))
    mode = tables.Column(verbose_name=_("Mode"))
    deposited_by = tables.Column(
        verbose_name=_("Par"), empty_values=(), order_by=("deposited_by__last_name",)
    )
    establishment = tables.Column(verbose_name=_("Établissement"), default=_("Tous"))
    original_filename = tables.Column(verbose_name=_("Fichier importé"))
    reason = tables.Column(verbose_name=_("Motif"), empty_values=(), orderable=False)
    bilan = tables.Column(verbose_name=_("Bilan"), empty_values=(), orderable=False)

    class Meta:
        model = ImportRun
        fields = (
            "received_at",
            "status",
            "mode",
            "deposited_by",
            "establishment",
            "original_filename",
            "reason",
            "bilan",
        )
        order_by = ("-received_at",)
        attrs = {"class": "table"}
        empty_text = _("Aucun import ne correspond.")
        template_name = "imports/_history_table.html"

    def render_status(self, record: ImportRun) -> str:
        return status_badge(record)

    def render_mode(self, record: ImportRun) -> str:
        if record.origin_kind:
            return format_html(
                '{}<br><span class="muted">{}</span>',
                record.get_mode_display(),
                record.get_origin_kind_display(),
            )
        return str(record.get_mode_display())

    def render_deposited_by(self, record: ImportRun) -> str:
        user = record.deposited_by
        if user is None:
            return "—"
        return user.get_full_name() or user.get_username()

    def render_reason(self, record: ImportRun) -> str:
        return run_reason(record) or "—"

    def render_establishment(self, record: ImportRun) -> str:
        return record.establishment.name if record.establishment else str(_("Tous"))

    def render_original_filename(self, record: ImportRun) -> str:
        url = reverse("imports:run_file", args=[record.school_group_id, record.pk])
        return format_html('<a href="{}" download>{}</a>', url, record.original_filename)

    def render_bilan(self, record: ImportRun) -> str:
        args = [record.school_group_id, record.pk]
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("imports:run_detail", args=args),
            _("Voir"),
            reverse("imports:run_bilan_download", args=args),
            _("Télécharger"),
        )
