from django.urls import path

from zhengdun.org import views, views_roster

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<int:unit_id>/", views.unit_tree, name="unit_detail"),
    path("people/", views.officer_list, name="officer_list"),
    path("me/", views.my_file, name="my_file"),
    path("people/<int:officer_id>/", views.officer_detail, name="officer_detail"),
    path("people/<int:officer_id>/edit/", views.officer_edit, name="officer_edit"),
    path("people/<int:officer_id>/reveal-id/", views.officer_reveal_id, name="officer_reveal_id"),
    path("roster/", views_roster.roster_import, name="roster_import"),
    path("roster/template/", views_roster.roster_template, name="roster_template"),
    path("roster/export/", views_roster.roster_export, name="roster_export"),
    path("roster/errors/", views_roster.roster_error_report, name="roster_error_report"),
]
