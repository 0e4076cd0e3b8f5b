from django.conf import settings

from .tiles import tiles


def public(request):
    ctx = {"center_name": settings.JIEFEN_CENTER_NAME, "hotline": settings.JIEFEN_HOTLINE}
    if request.path.startswith("/p/"):
        ctx["public_tiles"] = tiles()
    return ctx
