"""Account administration and "我的账号", mounted at /accounts/manage/."""

from django.urls import path

from zhengdun.org import views_accounts as views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("<int:user_id>/", views.account_detail, name="detail"),
    path("<int:user_id>/edit/", views.account_update, name="update"),
    path("<int:user_id>/active/", views.account_set_active, name="set_active"),
    path("<int:user_id>/password/", views.account_reset_password, name="reset_password"),
    path("<int:user_id>/roles/", views.role_assign, name="role_assign"),
    path("<int:user_id>/roles/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
    path("<int:user_id>/unlock/", views.account_unlock, name="unlock"),
    path("<int:user_id>/otp-reset/", views.account_reset_otp, name="reset_otp"),
    path("me/", views.my_account, name="me"),
    path("me/password/", views.my_password, name="my_password"),
    path("me/tokens/", views.my_token_create, name="my_token_create"),
    path("me/tokens/<int:token_id>/revoke/", views.my_token_revoke, name="my_token_revoke"),
]
