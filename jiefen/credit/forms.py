"""Turn the station's POSTed forms into the services' input objects (no Django forms: the pages are
plain mobile forms with numbered slots for items and debts)."""

from __future__ import annotations

from .models import ItemKind
from .services import MAX_ATTACHMENT_BYTES, ApplicantIn, ConsentIn, DebtIn, HardshipIn, ItemIn, UploadIn

ITEM_SLOTS = 3
DEBT_SLOTS = 3


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def applicant_from(post) -> ApplicantIn:
    return ApplicantIn(
        kind=post.get("applicant_kind", "individual"),
        name=post.get("name", ""),
        id_number=post.get("id_number", ""),
        legal_rep=post.get("legal_rep", ""),
    )


def consent_from(request) -> ConsentIn:
    post = request.POST
    return ConsentIn(
        general=post.get("consent") == "on",
        sensitive=post.get("sensitive_consent") == "on",
        ip=client_ip(request),
    )


def uploads_from(files) -> list[UploadIn]:
    out = []
    for f in files:
        if not f.size:
            continue
        # The first bytes decide the type, not the browser's claim.
        head = f.read(8)
        f.seek(0)
        if head.startswith(b"%PDF"):
            content_type = "application/pdf"
        elif head.startswith(b"\xff\xd8\xff"):
            content_type = "image/jpeg"
        elif head.startswith(b"\x89PNG"):
            content_type = "image/png"
        else:
            content_type = f.content_type or "application/octet-stream"
        # Read at most one byte over the limit: the service refuses it without loading a huge file.
        out.append(
            UploadIn(filename=f.name, content_type=content_type, content=f.read(MAX_ATTACHMENT_BYTES + 1))
        )
    return out


def items_from(request) -> list[ItemIn]:
    post = request.POST
    items = []
    for n in range(1, ITEM_SLOTS + 1):
        description = post.get(f"item-{n}-description", "").strip()
        files = uploads_from(request.FILES.getlist(f"item-{n}-files"))
        if not description and not files:
            continue
        items.append(
            ItemIn(
                kind=post.get(f"item-{n}-kind", ItemKind.CREDIT),
                description=description,
                account_ref=post.get(f"item-{n}-account_ref", ""),
                expected=post.get(f"item-{n}-expected", ""),
                attachments=files,
            )
        )
    return items


def debts_from(post) -> list[DebtIn]:
    debts = []
    for n in range(1, DEBT_SLOTS + 1):
        principal = post.get(f"debt-{n}-principal", "").strip()
        institution = post.get(f"debt-{n}-institution", "").strip()
        if not principal and not institution:
            continue
        debts.append(
            DebtIn(
                institution_id=int(institution) if institution.isdigit() else 0,
                product_line=post.get(f"debt-{n}-product_line", ""),
                principal=principal,
                interest=post.get(f"debt-{n}-interest", ""),
                penalty=post.get(f"debt-{n}-penalty", ""),
                fees=post.get(f"debt-{n}-fees", ""),
                overdue_days=post.get(f"debt-{n}-overdue_days", ""),
                original_term_months=post.get(f"debt-{n}-original_term_months", ""),
                matured=post.get(f"debt-{n}-matured") == "on",
                contract_ref=post.get(f"debt-{n}-contract_ref", ""),
            )
        )
    return debts


def hardship_from(post) -> HardshipIn:
    return HardshipIn(
        reasons=post.getlist("reasons"),
        note=post.get("hardship_note", ""),
        monthly_income=post.get("monthly_income", ""),
        essential_expenses=post.get("essential_expenses", ""),
        available_cash=post.get("available_cash", ""),
        enterprise_size=post.get("enterprise_size", ""),
        willing_to_repay=post.get("willing_to_repay", "on") == "on",
    )


def measure_data_from(post) -> dict:
    data = {key: post.get(key, "") for key in post}
    data["hardship_reasons"] = post.getlist("hardship_reasons")
    data["enterprise_sizes"] = post.getlist("enterprise_sizes")
    data["requires_willingness"] = post.get("requires_willingness") == "on"
    return data
