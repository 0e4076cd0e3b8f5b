"""Services of bank-file intake: upload, preview, confirm, run, column mappings, the error report.

Views, the API, the `import-cases` command and the background tasks all come through here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.orgs.access import Viewer, viewer_for
from jiefen.orgs.models import Institution
from jiefen.orgs.roles import Role

from .intake.columns import FIELDS, normalize_header
from .intake.pipeline import Importer, ImportKilled, count_rows
from .intake.reader import file_format
from .intake.values import column_letter
from .models import ColumnMapping, ImportJob, ImportRowError

# Files up to this many rows are processed during the request (a second or two); bigger ones go to
# the background worker and the page shows a progress bar.
INLINE_ROWS = 20_000
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
UPLOADERS = frozenset({Role.INST_MANAGER, Role.DISPOSAL_STAFF})
S = ImportJob.Status


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def can_import_for(viewer: Viewer, institution: Institution) -> bool:
    if viewer.read_only:
        return False
    if viewer.is_center:
        return True
    return institution.pk in viewer.institution_ids(UPLOADERS)


def importable_institutions(user):
    viewer = viewer_for(user)
    qs = Institution.objects.filter(kind__in=[Institution.Kind.BANK, Institution.Kind.LENDER], is_active=True)
    if viewer.is_center and not viewer.read_only:
        return qs
    return qs.filter(pk__in=viewer.institution_ids(UPLOADERS))


def import_job_get_for_user(user, job_id: int) -> ImportJob:
    """Another institution's job does not exist for the viewer (404)."""
    viewer = viewer_for(user)
    qs = ImportJob.objects.select_related("institution", "uploaded_by")
    if not viewer.sees_everything:
        qs = qs.filter(institution_id__in=viewer.institution_ids())
    try:
        return qs.get(pk=job_id)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise NotFound("导入批次不存在或您无权查看") from None


def import_jobs_for_user(user, *, limit: int = 30):
    viewer = viewer_for(user)
    qs = ImportJob.objects.select_related("institution", "uploaded_by")
    if not viewer.sees_everything:
        qs = qs.filter(institution_id__in=viewer.institution_ids())
    return list(qs.order_by("-pk")[:limit])


def import_job_create(
    *,
    actor,
    institution: Institution,
    upload,
    filename: str,
    mode: str = ImportJob.Mode.PARTIAL,
    default_product: str = "",
    source: str = "web",
) -> ImportJob:
    """Keep the uploaded file (outside the web root) and open a job for it. `upload` is a file
    object or a path."""
    viewer = viewer_for(actor) if actor is not None else None
    if viewer is not None and not can_import_for(viewer, institution):
        if viewer.is_center or institution.pk in viewer.institution_ids():
            raise PermissionDenied("您的角色不能导入案件")
        raise NotFound("机构不存在或您无权为其导入")
    if not institution.is_creditor:
        raise ApplicationError("只能为银行或其他金融机构导入案件", code="invalid_institution")
    if mode not in ImportJob.Mode.values:
        raise ApplicationError("未知的导入方式", code="invalid_mode")
    from jiefen.cases.models import ProductType

    if default_product and default_product not in ProductType.values:
        raise ApplicationError("未知的产品类型", code="invalid_product_type")
    filename = Path(filename or "upload.csv").name[:200]
    suffix = Path(filename).suffix.lower()[:8]
    target = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        source_file = open(upload, "rb") if isinstance(upload, str | Path) else upload  # noqa: SIM115
        try:
            if hasattr(source_file, "chunks"):
                blocks = source_file.chunks()
            else:
                blocks = iter(lambda: source_file.read(1 << 20), b"")
            for block in blocks:
                size += len(block)
                if size > MAX_UPLOAD_BYTES:
                    raise ApplicationError("文件过大（上限 512 MB），请拆分后上传", code="too_large")
                digest.update(block)
                out.write(block)
        except ApplicationError:
            out.close()
            target.unlink(missing_ok=True)
            raise
        finally:
            if isinstance(upload, str | Path):
                source_file.close()
    if size == 0:
        target.unlink(missing_ok=True)
        raise ApplicationError("文件是空的", code="empty_file")
    with open(target, "rb") as handle:
        head = handle.read(8)
    try:
        fmt = file_format(filename, head)
    except ApplicationError:
        target.unlink(missing_ok=True)
        raise
    return ImportJob.objects.create(
        institution=institution,
        uploaded_by=actor,
        filename=filename,
        path=str(target),
        size=size,
        sha256=digest.hexdigest(),
        fmt=fmt,
        source=source,
        mode=mode,
        default_product=default_product,
        total_rows=count_rows(target, fmt),
    )


def custom_mapping(institution: Institution) -> dict[str, str]:
    return dict(ColumnMapping.objects.filter(institution=institution).values_list("header", "field"))


def _reset_counts(job_id: int, **extra) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        position=0,
        rows=0,
        valid=0,
        rejected=0,
        created=0,
        updated=0,
        unchanged=0,
        simple=0,
        complex=0,
        lost_contact=0,
        **extra,
    )


def import_job_validate(*, job_id: int, now: dt.datetime | None = None) -> ImportJob:
    """The preview: read the whole file, report every rejected row and what would happen to the rest."""
    job = ImportJob.objects.select_related("institution", "uploaded_by").get(pk=job_id)
    if job.status not in {S.UPLOADED, S.VALIDATING, S.VALIDATED}:
        return job
    ImportRowError.objects.filter(job=job).delete()
    _reset_counts(job.pk, status=S.VALIDATING, phase="validate", message="", started_at=timezone.now())
    try:
        outcome = Importer(
            job=job, dry_run=True, custom_mapping=custom_mapping(job.institution), now=now
        ).run(job.path, job.fmt)
    except ApplicationError as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=S.FAILED, message=exc.message[:500])
        job.refresh_from_db()
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=S.VALIDATED, mapping=outcome.mapping.as_json())
    job.refresh_from_db()
    return job


def import_job_confirm(*, actor, job_id: int, mode: str | None = None) -> ImportJob:
    job = import_job_get_for_user(actor, job_id)
    if not can_import_for(viewer_for(actor), job.institution):
        raise PermissionDenied("您的角色不能导入案件")
    mode = mode or job.mode
    if mode not in ImportJob.Mode.values:
        raise ApplicationError("未知的导入方式", code="invalid_mode")
    if job.status != S.VALIDATED:
        raise ApplicationError(
            f"导入批次当前为“{job.get_status_display()}”，不能确认导入", code="invalid_state"
        )
    if mode == ImportJob.Mode.ALL_OR_NOTHING and job.rejected:
        raise ApplicationError(
            f"文件有{job.rejected}行错误：选择“全部正确才导入”时不能导入。请修正后重新上传，或改为只导入有效行",
            code="has_errors",
        )
    if not job.valid:
        raise ApplicationError("文件中没有可以导入的有效行", code="nothing_to_import")
    updated = ImportJob.objects.filter(pk=job.pk, status=S.VALIDATED).update(status=S.QUEUED, mode=mode)
    if updated != 1:
        raise Conflict("导入批次已被他人处理，请刷新")
    job.status, job.mode = S.QUEUED, mode
    dispatch_import(job)
    job.refresh_from_db()
    return job


def import_job_cancel(*, actor, job_id: int) -> ImportJob:
    job = import_job_get_for_user(actor, job_id)
    if job.status not in {S.UPLOADED, S.VALIDATED, S.FAILED}:
        raise ApplicationError("只有未开始导入的批次可以取消", code="invalid_state")
    ImportJob.objects.filter(pk=job.pk).update(status=S.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    remove_upload(job)
    return job


def import_job_run(*, job_id: int, now: dt.datetime | None = None, after_commit=None) -> ImportJob:
    """Write the valid rows. A job found half-done (the worker died) resumes after its last commit."""
    job = ImportJob.objects.select_related("institution", "uploaded_by").get(pk=job_id)
    if job.status not in {S.QUEUED, S.IMPORTING}:
        return job
    resume = job.position if (job.status == S.IMPORTING and job.phase == "import") else 0
    if not resume:
        ImportRowError.objects.filter(job=job).delete()
        _reset_counts(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=S.IMPORTING, phase="import", started_at=job.started_at or timezone.now()
    )
    job.refresh_from_db()
    try:
        outcome = Importer(
            job=job, custom_mapping=custom_mapping(job.institution), now=now, after_commit=after_commit
        ).run(job.path, job.fmt, resume_after=resume)
    except ImportKilled:
        raise
    except ApplicationError as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=S.FAILED, message=exc.message[:500])
        job.refresh_from_db()
        return job
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=S.FAILED,
            message=f"导入中断：{type(exc).__name__}。已导入的部分保留，可重新执行以继续"[:500],
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=S.DONE, mapping=outcome.mapping.as_json(), finished_at=timezone.now()
    )
    job.refresh_from_db()
    # The bank's file holds personal data that the cases now hold: keep no second copy (PIPL Art 19).
    remove_upload(job)
    return job


def dispatch_validate(job: ImportJob) -> None:
    from .tasks import validate_import

    ImportJob.objects.filter(pk=job.pk).update(status=S.VALIDATING, phase="validate")
    if job.total_rows <= INLINE_ROWS:
        import_job_validate(job_id=job.pk)
    else:
        validate_import.enqueue(job.pk)


def dispatch_import(job: ImportJob) -> None:
    from .tasks import run_import

    if job.total_rows <= INLINE_ROWS:
        import_job_run(job_id=job.pk)
    else:
        run_import.enqueue(job.pk)


def import_file(
    *,
    actor,
    institution: Institution,
    path: str | Path,
    filename: str | None = None,
    mode: str = ImportJob.Mode.PARTIAL,
    default_product: str = "",
    source: str = "command",
    now: dt.datetime | None = None,
    after_commit=None,
) -> ImportJob:
    """Upload, check and import in one go (the command and the API's `confirm=true`)."""
    job = import_job_create(
        actor=actor,
        institution=institution,
        upload=path,
        filename=filename or Path(path).name,
        mode=mode,
        default_product=default_product,
        source=source,
    )
    if mode == ImportJob.Mode.ALL_OR_NOTHING:
        job = import_job_validate(job_id=job.pk, now=now)
        if job.status == S.FAILED:
            return job
        if job.rejected:
            ImportJob.objects.filter(pk=job.pk).update(
                status=S.FAILED, message=f"文件有{job.rejected}行错误，按“全部正确才导入”未导入任何数据"
            )
            job.refresh_from_db()
            return job
    ImportJob.objects.filter(pk=job.pk).update(status=S.QUEUED)
    return import_job_run(job_id=job.pk, now=now, after_commit=after_commit)


@transaction.atomic
def column_mapping_save(*, actor, institution: Institution, mapping: dict[str, str]) -> int:
    """Save the institution's own names for columns (header text → field key, '' = ignore)."""
    viewer = viewer_for(actor)
    if not can_import_for(viewer, institution):
        raise NotFound("机构不存在或您无权为其导入")
    saved = 0
    for header, key in mapping.items():
        normalized = normalize_header(header)
        if not normalized:
            continue
        if key and key not in FIELDS:
            raise ApplicationError(f"未知的字段“{key}”", code="invalid_field")
        ColumnMapping.objects.update_or_create(
            institution=institution, header=normalized, defaults={"field": key, "updated_by": actor}
        )
        saved += 1
    return saved


def job_errors(job: ImportJob, *, limit: int | None = None):
    qs = ImportRowError.objects.filter(job=job).order_by("row", "id")
    return qs[:limit] if limit else qs


def job_summary(job: ImportJob) -> dict:
    """The command's and the API's JSON: exactly rows, created, updated, unchanged, rejected, errors."""
    return {
        "rows": job.rows,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected": job.rejected,
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in job_errors(job).iterator()
        ],
    }


def error_report_xlsx(job: ImportJob) -> bytes:
    """The rejected rows as a spreadsheet the bank can fix and re-upload."""
    header = ["行号", "列", "值", "原因"]
    rows = [[e.row, e.column, e.value, e.reason] for e in job_errors(job).iterator()]
    summary = [
        ["项目", "数值"],
        ["文件", job.filename],
        ["机构", str(job.institution)],
        ["数据行", job.rows],
        ["新增", job.created],
        ["更新", job.updated],
        ["无变化", job.unchanged],
        ["错误行", job.rejected],
        ["简易（机构处置）", job.simple],
        ["复杂（调解）", job.complex],
        ["失联", job.lost_contact],
    ]
    sheets = {"错误明细": [header, *rows], "汇总": summary}
    try:
        from jiefen.documents.render import render_xlsx
    except ImportError:
        return _xlsx(sheets)
    return render_xlsx(sheets)


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name[:31])
        for r, values in enumerate(rows):
            sheet.write_row(r, 0, values, bold if r == 0 else None)
        if rows:
            sheet.set_column(0, len(rows[0]) - 1, 18)
    book.close()
    return buffer.getvalue()


def describe_mapping(job: ImportJob) -> list[dict]:
    """For the preview page: every column of the header, and what it was understood as."""
    mapping = job.mapping or {}
    headers = mapping.get("headers", [])
    by_index = {}
    for key, indices in (mapping.get("columns") or {}).items():
        for i in indices:
            by_index[int(i)] = key
    out = []
    for i, header in enumerate(headers):
        if not header:
            continue
        key = by_index.get(i, "")
        out.append(
            {
                "index": i,
                "letter": column_letter(i),
                "header": header,
                "field": key,
                "label": FIELDS[key][0] if key else "",
            }
        )
    return out


def remove_upload(job: ImportJob) -> None:
    with contextlib.suppress(OSError):
        Path(job.path).unlink(missing_ok=True)
