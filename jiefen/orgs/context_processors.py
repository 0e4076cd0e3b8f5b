from jiefen.common.nav import links_for

from .access import viewer_for


def viewer(request):
    v = viewer_for(getattr(request, "user", None))
    return {"viewer": v, "nav_links": links_for(v) if v.user_id else []}
