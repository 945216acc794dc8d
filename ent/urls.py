# The root URLconf wires the apps in by dotted path: the ent package imports none of them.
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.home_urls")),
    path("cites/<int:group_id>/imports/", include("imports.urls")),
    path("", include("accounts.urls")),
    path("", include("deposits.urls")),
    path("admin/", admin.site.urls),
]
