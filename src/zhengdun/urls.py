import functools

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from zhengdun.api import api
from zhengdun.org import views, views_auth
from zhengdun.org.access import access_policy

# The API's documentation pages (schema, Swagger UI), named by django-ninja: public by policy.
# Chosen by name, not by the type of their callback, so an operation can never slip in as public.
API_DOC_URL_NAMES = {"openapi-json", "openapi-view"}


def _api_error(status: int, code: str, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt  # nothing to protect, and a CSRF failure page would be HTML
@access_policy(public=True, name="api-not-found")
def api_not_found(request, *args, **kwargs):
    """Every /api/ path without an operation: a JSON 404 like any other API error, not the HTML page."""
    return _api_error(404, "not_found", "未找到该接口")


def _path_view(callback):
    """The django-ninja PathView behind an operation URL (found in the view's closure), or None."""
    for cell in getattr(callback, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "operations"):
            return cell.cell_contents
    return None


def _json_method_errors(callback):
    """django-ninja answers a wrong method with a plain-text 405; answer JSON and keep the Allow header."""
    operations_view = _path_view(callback)  # kept in this closure: the URL-walk test finds the operations

    @functools.wraps(callback)
    def view(request, *args, **kwargs):
        response = callback(request, *args, **kwargs)
        if response.status_code == 405 and operations_view is not None:
            return _api_error(405, "method_not_allowed", f"该接口不支持 {request.method} 方法",
                              Allow=response.get("Allow", ""))
        return response

    return view


def api_urls(ninja_api=api):
    """The API's own patterns. Operation views carry their policy on each operation (see
    org.api_auth.api_policy); the documentation pages are public; the API root is a JSON 404."""
    patterns, app_name, namespace = ninja_api.urls
    for pattern in patterns:
        if pattern.name in API_DOC_URL_NAMES:
            pattern.callback = access_policy(public=True, name="api-docs")(pattern.callback)
        elif pattern.name == "api-root":  # django-ninja reverses this name to find the API's prefix
            pattern.callback = api_not_found
        else:
            pattern.callback = _json_method_errors(pattern.callback)
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
    path("api/", api_urls()),
    re_path(r"^api/", api_not_found),  # after the API's patterns: whatever they did not match
]
