from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from imports.models import ImportRun

# Plain text symbols (present in ordinary fonts), not emoji: they render everywhere.
STATUS_ICONS = {
    ImportRun.Status.RECEIVED: ("◷", "warning"),
    ImportRun.Status.RUNNING: ("↻", "warning"),
    ImportRun.Status.INTEGRATED: ("✔", "ok"),
    ImportRun.Status.BLOCKED: ("✖", "error"),
    ImportRun.Status.REJECTED: ("✖", "error"),
    ImportRun.Status.WAITING_INITIALISATION: ("◷", "warning"),
    ImportRun.Status.SUPERSEDED: ("↪", "muted"),
    ImportRun.Status.DUPLICATE: ("♻", "muted"),
    ImportRun.Status.FAILED: ("⚠", "error"),
    ImportRun.Status.PREVIEWED: ("◎", "muted"),
}


def status_badge(run: ImportRun) -> str:
    icon, tone = STATUS_ICONS[ImportRun.Status(run.status)]
    return format_html(
        '<span class="status status-{}"><span aria-hidden="true">{}</span> {}</span>',
        tone,
        icon,
        run.get_status_display(),
    )


class ImportRunTable(tables.Table):
    received_at = tables.DateTimeColumn(verbose_name=_("Date"), format="d/m/Y H:i")
    status = tables.Column(verbose_name=_("Statut"))
    mode = tables.Column(verbose_name=_("Auto"))
    establishment = tables.Column(verbose_name=_("Établissement"), default=_("Tous"))
    original_filename = tables.Column(verbose_name=_("Fichier importé"))
    bilan = tables.Column(verbose_name=_("Bilan"), empty_values=(), orderable=False)

    class Meta:
        model = ImportRun
        fields = ("received_at", "status", "mode", "establishment", "original_filename", "bilan")
        order_by = ("-received_at",)
        attrs = {"class": "table"}
        empty_text = _("Aucun import pour le moment.")

    def render_status(self, record: ImportRun) -> str:
        return status_badge(record)

    def render_mode(self, record: ImportRun) -> str:
        return str(_("Oui") if record.mode == ImportRun.Mode.AUTOMATIC else _("Non"))

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
