from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from jiefen.common.errors import ApplicationError, NotFound

from .services import party_reveal


@login_required
@require_POST
def reveal_view(request, party_id: int):
    """htmx: swap a masked value for the full one, after recording who asked and why."""
    try:
        value = party_reveal(
            actor=request.user,
            party_id=party_id,
            field=request.POST.get("field", ""),
            reason=request.POST.get("reason", ""),
            ip=request.META.get("REMOTE_ADDR"),
            phone_id=int(request.POST["phone"]) if request.POST.get("phone", "").isdigit() else None,
        )
    except NotFound:
        raise Http404("当事人不存在或您无权查看") from None
    except ApplicationError as exc:
        return HttpResponse(format_html('<span class="errorlist">{}</span>', exc.message), status=200)
    return HttpResponse(
        format_html('<strong class="revealed">{}</strong> <span class="muted">（已记录查看）</span>', value)
    )
