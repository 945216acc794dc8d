"""Pages of the deposits app: depositor accounts and the one-time credential reveal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import HEAD_ROLES, school_group_required, user_has_role
from deposits import selectors, services
from deposits.forms import DepositorAddForm, DepositorNotifyForm
from deposits.models import DepositorAccount
from deposits.tables import DepositorAccountTable
from ent.models import SchoolGroup
from imports.selectors import school_group_is_initialised


@school_group_required()
def depositor_list(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    can_manage = user_has_role(request.user, school_group, HEAD_ROLES)  # type: ignore[arg-type]
    table = DepositorAccountTable(
        selectors.depositor_account_list(school_group=school_group), can_manage=can_manage
    )
    return render(
        request,
        "deposits/depositor_list.html",
        {
            "school_group": school_group,
            "table": table,
            "can_manage": can_manage,
            "initialised": school_group_is_initialised(school_group, today=timezone.localdate()),
            "slots_left": selectors.depositor_slots_left(school_group=school_group),
            "max_accounts": DepositorAccount.MAX_PER_SCHOOL_GROUP,
        },
    )


@school_group_required(HEAD_ROLES)
def depositor_add(request: HttpRequest, school_group: SchoolGroup) -> HttpResponse:
    if not school_group_is_initialised(school_group, today=timezone.localdate()):
        messages.error(request, _unavailable_message())
        return redirect("deposits:depositor_list", school_group.pk)
    form = DepositorAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.depositor_account_create(
                school_group=school_group,
                user=form.cleaned_data["user"],
                notify=form.cleaned_data["notify"],
                created_by=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
            )
        except services.DepositorAccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _(
                    "Le compte d'accès %(login)s a été créé. Son titulaire a reçu dans sa "
                    "messagerie l'identifiant, les URL de dépôt et un lien pour afficher le "
                    "mot de passe."
                )
                % {"login": account.login},
            )
            return redirect("deposits:depositor_list", school_group.pk)
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "deposits/depositor_add.html",
        {
            "school_group": school_group,
            "form": form,
            "query": query,
            "candidates": selectors.depositor_candidates(school_group=school_group, query=query),
            "slots_left": selectors.depositor_slots_left(school_group=school_group),
        },
    )


@school_group_required(HEAD_ROLES)
def depositor_regenerate(
    request: HttpRequest, account_id: int, school_group: SchoolGroup
) -> HttpResponse:
    account = _account_or_404(school_group, account_id)
    if request.method == "POST":
        services.depositor_account_regenerate_password(account=account, now=timezone.now())
        messages.success(
            request,
            _(
                "Le mot de passe de %(login)s a été régénéré : l'ancien ne fonctionne plus. "
                "Son titulaire a reçu un message avec un lien pour afficher le nouveau. "
                "Pensez à mettre à jour l'URL de dépôt dans le logiciel d'emploi du temps."
            )
            % {"login": account.login},
        )
        return redirect("deposits:depositor_list", school_group.pk)
    return render(
        request,
        "deposits/depositor_confirm.html",
        {"school_group": school_group, "account": account, "action": "regenerate"},
    )


@school_group_required(HEAD_ROLES)
def depositor_delete(
    request: HttpRequest, account_id: int, school_group: SchoolGroup
) -> HttpResponse:
    account = _account_or_404(school_group, account_id)
    if request.method == "POST":
        services.depositor_account_delete(account=account)
        messages.success(
            request, _("Le compte d'accès %(login)s a été supprimé.") % {"login": account.login}
        )
        return redirect("deposits:depositor_list", school_group.pk)
    return render(
        request,
        "deposits/depositor_confirm.html",
        {"school_group": school_group, "account": account, "action": "delete"},
    )


@require_POST
@school_group_required(HEAD_ROLES)
def depositor_notify(
    request: HttpRequest, account_id: int, school_group: SchoolGroup
) -> HttpResponse:
    account = _account_or_404(school_group, account_id)
    form = DepositorNotifyForm(request.POST)
    if form.is_valid():
        services.depositor_account_set_notify(account=account, notify=form.cleaned_data["notify"])
    return redirect("deposits:depositor_list", school_group.pk)


@login_required
def credential_reveal(request: HttpRequest, token: str) -> HttpResponse:
    user = request.user
    now = timezone.now()
    if request.method == "POST":
        try:
            revealed = services.credential_reveal_consume(token=token, user=user, now=now)  # type: ignore[arg-type]
        except services.CredentialRevealUnavailable:
            return _reveal_unavailable(request)
        response = render(request, "deposits/credential_reveal.html", {"revealed": revealed})
        response["Cache-Control"] = "no-store"
        return response
    if not services.credential_reveal_is_pending(token=token, user=user, now=now):  # type: ignore[arg-type]
        return _reveal_unavailable(request)
    return render(request, "deposits/credential_reveal.html", {"revealed": None})


def _reveal_unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "deposits/credential_reveal_unavailable.html", status=410)


def _account_or_404(school_group: SchoolGroup, account_id: int) -> DepositorAccount:
    try:
        return selectors.depositor_account_get(school_group=school_group, account_id=account_id)
    except DepositorAccount.DoesNotExist:
        raise Http404(_("Compte d'accès introuvable.")) from None


def _unavailable_message() -> str:
    return _(
        "Les comptes d'accès ne peuvent être créés qu'après le premier import manuel de "
        "l'année scolaire. Faites d'abord l'import manuel de l'emploi du temps (assistant "
        "d'initialisation) ; une fois cet import intégré, vous pourrez ajouter les comptes "
        "d'accès."
    )
