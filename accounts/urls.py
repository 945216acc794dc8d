from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import ThrottledAuthenticationForm

app_name = "accounts"

_DEPOSITORS = "cites/<int:group_id>/import-automatise/comptes/"

urlpatterns = [
    path(
        "comptes/connexion/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=ThrottledAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("comptes/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("comptes/messages/", views.message_list, name="message_list"),
    path("comptes/messages/<int:message_id>/", views.message_detail, name="message_detail"),
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
