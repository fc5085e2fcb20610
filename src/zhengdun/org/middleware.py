"""Idle and absolute session timeouts (both configurable in settings).

The clock of a session starts at its first signed-in request and restarts whenever the
session key changes (Django cycles the key at every sign-in), so signing in again never
inherits the start time of an earlier sign-in.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            if session.get("zd_key") != session.session_key:
                session["zd_key"] = session.session_key
                session["zd_started"] = session["zd_last"] = now
            started = session.get("zd_started", now)
            last = session.get("zd_last", now)
            if now - last > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                # The message store is installed by a later middleware: say it once views run.
                request._zd_session_timed_out = True
            elif now - last >= min(60, settings.SESSION_IDLE_TIMEOUT // 10):
                # Recorded at most once a minute: otherwise every page view would rewrite the session
                # row. The idle clock is then at most that much early, never late.
                session["zd_last"] = now
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(request, "_zd_session_timed_out", False):
            messages.warning(request, _("会话已超时，请重新登录。"), fail_silently=True)
        return None


class ChineseByDefaultMiddleware:
    """The UI is Chinese unless the user picks another language (language cookie):
    the browser's Accept-Language is ignored, so an English-language browser still gets Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
