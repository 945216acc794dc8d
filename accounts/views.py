"""Pages of the accounts app: the internal messages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import selectors, services
from accounts.models import Message


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/message_list.html",
        {"inbox": selectors.message_list(user=request.user)},  # type: ignore[arg-type]
    )


@login_required
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        message = selectors.message_get(user=request.user, message_id=message_id)  # type: ignore[arg-type]
    except Message.DoesNotExist:
        raise Http404(_("Message introuvable.")) from None
    services.message_mark_read(message=message, now=timezone.now())
    return render(request, "accounts/message_detail.html", {"message": message})
