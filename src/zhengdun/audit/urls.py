from django.urls import path

from zhengdun.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("<int:entry_id>/", views.entry_detail, name="entry"),
    path("export/", views.export, name="export"),
    path("verify/", views.verify_chain, name="verify"),
]
