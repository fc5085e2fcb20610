"""Sign-in pages: password with lockout, then the TOTP second factor where the role requires it."""

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from zhengdun.org import auth_services
from zhengdun.org.access import access_policy, otp_required
from zhengdun.org.forms import LoginForm, OtpForm
from zhengdun.org.views import client_ip


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


@access_policy(public=True)
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = auth_services.sign_in(request, username=form.cleaned_data["username"],
                                       password=form.cleaned_data["password"], ip=client_ip(request))
        if result.user is None:
            form.add_error(None, result.error)
        else:
            auth_services.start_session(request, result.user, ip=client_ip(request))
            if result.needs_otp:
                return redirect(f"/accounts/otp/?next={_next_url(request)}")
            return redirect(_next_url(request))
    return render(request, "org/login.html", {"form": form, "next": _next_url(request)})


@access_policy(public=True, name="signed-in-awaiting-otp")
def otp_view(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if not otp_required(user) or user.is_verified():
        return redirect(_next_url(request))
    if not auth_services.has_confirmed_device(user):
        return redirect(f"/accounts/otp/setup/?next={_next_url(request)}")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if auth_services.verify_otp(request, user=user, token=form.cleaned_data["token"], ip=client_ip(request)):
            return redirect(_next_url(request))
        form.add_error("token", _("动态口令不正确或已过期"))
    return render(request, "org/otp.html", {"form": form, "next": _next_url(request)})


@access_policy(public=True, name="signed-in-enrolling-otp")
def otp_setup_view(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if auth_services.has_confirmed_device(user):
        return redirect(f"/accounts/otp/?next={_next_url(request)}")
    device = auth_services.totp_device_for_setup(user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if auth_services.confirm_device(request, user=user, device=device, token=form.cleaned_data["token"]):
            messages.success(request, _("动态口令已绑定"))
            return redirect(_next_url(request))
        form.add_error("token", _("动态口令不正确，请核对手机上的时间与密钥"))
    secret = base64.b32encode(device.bin_key).decode()
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return render(request, "org/otp_setup.html", {
        "form": form, "secret": secret, "qr_svg": buffer.getvalue().decode(), "next": _next_url(request),
    })


@require_POST
@access_policy(public=True, name="sign-out")
def logout_view(request):
    logout(request)
    messages.info(request, _("您已安全退出"))
    return redirect("login")


language_view = access_policy(public=True, name="set-language")(set_language)
