from django.urls import path

from zhengdun.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:activity_id>/", views.activity_detail, name="activity_detail"),
    path("<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:activity_id>/evidence/", views.activity_add_evidence, name="activity_add_evidence"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("talks/", views.talk_list, name="talk_list"),
    path("talks/new/", views.talk_create, name="talk_create"),
    path("talks/<int:talk_id>/", views.talk_detail, name="talk_detail"),
    path("pledges/", views.pledge_list, name="pledge_list"),
    path("pledges/new/", views.pledge_create, name="pledge_create"),
    path("pledges/<int:pledge_id>/", views.pledge_detail, name="pledge_detail"),
    path("pickers/officers/", views.officer_search, name="officer_search"),
    path("pickers/units/", views.unit_search, name="unit_search"),
]
