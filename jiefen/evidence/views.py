from __future__ import annotations

from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jiefen.cases.selectors import case_get_for_user
from jiefen.common.errors import ApplicationError, NotFound
from jiefen.orgs.access import viewer_for

from . import chain
from .models import EvidenceFile, MerkleRoot
from .selectors import ledger_lookup, ledger_recent
from .services import KIND_LABELS, MAX_UPLOAD_BYTES, evidence_read, ledger_verify


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def ledger_view(request):
    viewer = viewer_for(request.user)
    if not viewer.sees_everything:
        raise Http404
    verification = ledger_verify() if request.GET.get("verify") == "1" else None
    rows, next_before = ledger_recent(
        kind=request.GET.get("kind", "")[:40],
        subject=request.GET.get("subject", "")[:60],
        before=_int(request.GET.get("before")),
    )
    ctx = {
        "rows": rows,
        "next_before": next_before,
        "kinds": KIND_LABELS,
        "roots": MerkleRoot.objects.all()[:10],
        "verification": verification,
        "kind": request.GET.get("kind", ""),
        "subject": request.GET.get("subject", ""),
    }
    return render(request, "evidence/ledger.html", ctx)


@login_required
def evidence_download(request, evidence_id: int):
    evidence = EvidenceFile.objects.select_related("document").filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404
    try:
        case_get_for_user(request.user, evidence.case_id)
    except NotFound:
        raise Http404 from None
    return FileResponse(BytesIO(evidence_read(evidence)), as_attachment=True, filename=evidence.filename)


@require_http_methods(["GET", "POST"])
def verify_view(request):
    """Anyone holding a document can check it against the ledger: upload it, or paste its SHA-256."""
    ctx: dict = {"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
    if request.method == "POST":
        upload = request.FILES.get("file")
        digest = ""
        try:
            if upload is not None:
                if upload.size > MAX_UPLOAD_BYTES:
                    raise ApplicationError("文件过大", code="file_too_large")
                digest = chain.sha256_bytes(upload.read())
                ctx["filename"] = upload.name
            else:
                digest = (request.POST.get("sha256") or "").strip().lower()
                if len(digest) != 64:
                    raise ApplicationError("请上传文件，或填写64位的SHA-256值", code="invalid_hash")
        except ApplicationError as exc:
            ctx["error"] = exc.message
        else:
            ctx["digest"] = digest
            ctx["matches"] = ledger_lookup(digest)
            ctx["checked"] = True
    return render(request, "evidence/verify.html", ctx)
