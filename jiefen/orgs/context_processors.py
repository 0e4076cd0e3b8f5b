from .access import viewer_for


def viewer(request):
    return {"viewer": viewer_for(getattr(request, "user", None))}
