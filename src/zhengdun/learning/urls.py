from django.urls import path

from zhengdun.learning import views

app_name = "learning"
urlpatterns = [
    path("materials/", views.material_list, name="material_list"),
    path("materials/new/", views.material_create, name="material_create"),
    path("materials/<int:material_id>/", views.material_detail, name="material_detail"),
    path("materials/<int:material_id>/download/", views.material_download, name="material_download"),
    path("study/", views.study_list, name="study_list"),
    path("study/new/", views.study_create, name="study_create"),
    path("study/batch/", views.study_batch, name="study_batch"),
    path("questions/", views.question_list, name="question_list"),
    path("questions/new/", views.question_create, name="question_create"),
    path("questions/import/", views.question_import, name="question_import"),
    path("questions/template.xlsx", views.question_template, name="question_template"),
    path("questions/<int:question_id>/", views.question_edit, name="question_edit"),
    path("exams/", views.exam_list, name="exam_list"),
    path("exams/new/", views.exam_create, name="exam_create"),
    path("exams/mine/", views.my_exams, name="my_exams"),
    path("exams/<int:exam_id>/", views.exam_detail, name="exam_detail"),
    path("exams/<int:exam_id>/publish/", views.exam_publish, name="exam_publish"),
    path("exams/<int:exam_id>/results/", views.exam_results, name="exam_results"),
    path("exams/<int:exam_id>/attempts/", views.exam_attempts, name="exam_attempts"),
    path("exams/<int:exam_id>/absentees/", views.exam_absentees, name="exam_absentees"),
    path("exams/<int:exam_id>/start/", views.exam_start, name="exam_start"),
    path("attempts/<int:attempt_id>/", views.attempt_detail, name="attempt_detail"),
    path("attempts/<int:attempt_id>/take/", views.attempt_take, name="attempt_take"),
    path("attempts/<int:attempt_id>/save/", views.attempt_save, name="attempt_save"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("officers/<int:officer_id>/file/", views.officer_file_view, name="officer_file"),
]
