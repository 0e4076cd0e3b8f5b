from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from jiefen.common.errors import ApplicationError
from jiefen.outreach.services import outbox_for_phone

from .services import otp_request, otp_verify, public_login, public_logout, public_phone


def public_phone_required(view):
    """For public pages that need a proven phone: sends the person to the code page and back."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if public_phone(request) is None:
            return redirect(reverse("public_verify") + "?" + urlencode({"next": request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def portal(request):
    return render(request, "public/portal.html", {"phone": public_phone(request)})


def verify(request):
    """Two steps on one page: the phone number, then the code sent to it."""
    next_url = _safe_next(request, reverse("public_portal"))
    ctx = {"next": next_url, "step": "phone", "demo": settings.DEMO_MODE}
    if request.method == "POST":
        phone = request.POST.get("phone", "").strip()
        ctx["phone"] = phone
        try:
            if "code" in request.POST:
                verified = otp_verify(phone=phone, code=request.POST["code"], purpose="portal")
                public_login(request, verified)
                return redirect(next_url)
            otp_request(phone=phone, purpose="portal", ip=request.META.get("REMOTE_ADDR"))
            ctx["step"] = "code"
        except ApplicationError as exc:
            ctx["error"] = exc.message
            ctx["step"] = "code" if "code" in request.POST or exc.code == "otp_too_soon" else "phone"
    return render(request, "public/verify.html", ctx)


def logout(request):
    public_logout(request)
    return redirect("public_portal")


def demo_outbox(request):
    """Demo only: the SMS a phone would have received, since the offline gateway delivers nowhere."""
    if not settings.DEMO_MODE:
        raise Http404
    phone = request.GET.get("phone", "")
    try:
        messages = list(outbox_for_phone(phone)[:10]) if phone else []
    except Exception:
        messages = []
    return render(request, "public/demo_outbox.html", {"phone": phone, "messages": messages})
