from django.contrib import admin
from django.urls import include, path

from ent import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cites/<int:group_id>/", views.school_group_detail, name="school_group_detail"),
    path("cites/<int:group_id>/annee-scolaire/", views.school_year, name="school_year"),
    path("cites/<int:group_id>/imports/", include("imports.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
