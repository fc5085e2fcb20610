from django.urls import path

from zhengdun.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("datasets/new/", views.dataset_new, name="dataset_new"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/export/", views.run_export, name="run_export"),
    path("hits/<int:hit_id>/", views.hit_detail, name="hit"),
    path("leads/", views.lead_list, name="leads"),
    path("leads/export/", views.lead_export, name="lead_export"),
]
