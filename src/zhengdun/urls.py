import functools

from django.urls import include, path

from zhengdun.api import api
from zhengdun.org import views, views_auth
from zhengdun.org.access import access_policy


def _api_urls():
    """The API's own patterns; its documentation pages (schema, Swagger UI) are public by policy.
    Operation views carry their policy on each operation (see org.api_auth.api_policy)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern.callback, functools.partial):
            pattern.callback = access_policy(public=True, name="api-docs")(pattern.callback)
    return patterns, app_name, namespace

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views_auth.login_view, name="login"),
    path("accounts/logout/", views_auth.logout_view, name="logout"),
    path("accounts/otp/", views_auth.otp_view, name="otp"),
    path("accounts/otp/setup/", views_auth.otp_setup_view, name="otp_setup"),
    path("i18n/setlang/", views_auth.language_view, name="set_language"),
    path("accounts/manage/", include("zhengdun.org.urls_accounts")),
    path("org/", include("zhengdun.org.urls")),
    path("audit/", include("zhengdun.audit.urls")),
    path("campaigns/", include("zhengdun.campaigns.urls")),
    path("activities/", include("zhengdun.activities.urls")),
    path("screening/", include("zhengdun.screening.urls")),
    path("learning/", include("zhengdun.learning.urls")),
    path("stats/", include("zhengdun.stats.urls")),
    path("api/", _api_urls()),
]
