from django.urls import path

from zhengdun.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.index, name="index"),
    path("records/<str:figure_key>/", views.records, name="records"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("briefing.docx", views.export_docx, name="export_docx"),
]
