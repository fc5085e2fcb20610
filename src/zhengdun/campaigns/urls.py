from django.urls import path

from zhengdun.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<int:template_id>/", views.template_detail, name="template_detail"),
    path("templates/<int:template_id>/copy/", views.template_copy, name="template_copy"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("actions/", views.unit_actions, name="unit_actions"),
    path("actions/new/", views.required_action_create, name="required_action_create"),
    path("actions/optional/new/", views.optional_action_create, name="optional_action_create"),
    path("actions/<int:action_id>/", views.action_detail, name="action_detail"),
    path("actions/<int:action_id>/units/<int:unit_id>/declare/", views.completion_declare, name="completion_declare"),
    path("actions/<int:action_id>/units/<int:unit_id>/return/", views.completion_return, name="completion_return"),
    path("actions/<int:action_id>/units/<int:unit_id>/accept/", views.completion_accept, name="completion_accept"),
    path("actions/<int:action_id>/accept/", views.completion_accept_selected, name="completion_accept_selected"),
    path("matrix/", views.office_matrix, name="office_matrix"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
]
