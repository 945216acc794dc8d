from django.urls import path

from imports import views, views_changes, views_matches

app_name = "imports"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("seuils/", views.threshold_settings, name="threshold_settings"),
    path(
        "seuils/assouplissements/",
        views.threshold_relaxation_add,
        name="threshold_relaxation_add",
    ),
    path(
        "seuils/assouplissements/<int:relaxation_id>/fin/",
        views.threshold_relaxation_stop,
        name="threshold_relaxation_stop",
    ),
    path("manuel/", views.manual_import, name="manual_import"),
    path("rapprochements/", views_matches.manual_matches, name="manual_matches"),
    path(
        "rapprochements/<int:match_id>/supprimer/",
        views_matches.manual_match_remove,
        name="manual_match_remove",
    ),
    path("<int:run_id>/rapprochements/", views_matches.run_matches, name="run_matches"),
    path("<int:run_id>/appliquer/", views.run_apply_anyway, name="run_apply_anyway"),
    path("<int:run_id>/changements/", views_changes.run_changes, name="run_changes"),
    path("<int:run_id>/revenir/", views.run_rollback_start, name="run_rollback"),
    path("<int:run_id>/", views.run_detail, name="run_detail"),
    path("<int:run_id>/fichier/", views.run_file, name="run_file"),
    path("<int:run_id>/bilan.txt", views.run_bilan_download, name="run_bilan_download"),
]
