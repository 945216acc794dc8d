# The home page, a school group's page and its school year: names without namespace ("home",
# "school_group_detail"), as the templates have always used them.
from django.urls import path

from accounts import home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("cites/<int:group_id>/", home_views.school_group_detail, name="school_group_detail"),
    path("cites/<int:group_id>/annee-scolaire/", home_views.school_year, name="school_year"),
]
