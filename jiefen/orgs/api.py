from ninja import Router, Schema

from .models import Institution

router = Router(tags=["机构"])


class InstitutionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    region_code: str


@router.get("", response=list[InstitutionOut])
def list_institutions(request, kind: str | None = None):
    """Institutions taking part in the centre (names and codes are public within the platform)."""
    qs = Institution.objects.filter(is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return [
        {
            "id": i.pk,
            "code": i.code,
            "name": i.name,
            "kind": i.kind,
            "kind_label": i.get_kind_display(),
            "region_code": i.region_code,
        }
        for i in qs
    ]
