# The paths are those the depositor pages had under the accounts app: links already sent
# in messages and mails keep working.
from django.urls import path

from deposits import views

app_name = "deposits"

_DEPOSITORS = "cites/<int:group_id>/import-automatise/comptes/"

urlpatterns = [
    path("comptes/acces/<str:token>/", views.credential_reveal, name="credential_reveal"),
    path(_DEPOSITORS, views.depositor_list, name="depositor_list"),
    path(f"{_DEPOSITORS}ajouter/", views.depositor_add, name="depositor_add"),
    path(
        f"{_DEPOSITORS}<int:account_id>/regenerer/",
        views.depositor_regenerate,
        name="depositor_regenerate",
    ),
    path(
        f"{_DEPOSITORS}<int:account_id>/supprimer/",
        views.depositor_delete,
        name="depositor_delete",
    ),
    path(
        f"{_DEPOSITORS}<int:account_id>/notification/",
        views.depositor_notify,
        name="depositor_notify",
    ),
]
