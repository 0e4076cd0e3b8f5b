"""Every change in education and the scam-entity registry goes through here."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jiefen.common import clock
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.common.identifiers import IdentifierError, normalize_mobile, normalize_uscc
from jiefen.common.models import Counter
from jiefen.orgs.access import viewer_for
from jiefen.orgs.models import Region
from jiefen.orgs.roles import INSTITUTION_ROLES

from .access import can_edit_content, can_work_registry
from .models import (
    Attempt,
    LeadSource,
    Material,
    PrizeDraw,
    Question,
    Quiz,
    ScamEntity,
    ScamEntityEvent,
    ScamKind,
    ScamStatus,
    TypicalCase,
)
from .registry import BY_ACTION, CHANNEL_LABELS, CONTACTED, TERMINAL

PUBLIC_LABEL = "群众举报"
SYSTEM_LABEL = "系统"
# Network and clock slack allowed after an attempt's deadline before the paper is refused.
SUBMIT_GRACE = dt.timedelta(seconds=5)
MAX_IMPORT_ROWS = 20_000


def _now(at):
    return at or timezone.now()


def _label(actor) -> str:
    return str(actor) if actor is not None else SYSTEM_LABEL


# --- the scam-entity registry ---------------------------------------------------------------------


def _clean_uscc(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        return normalize_uscc(raw)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_uscc") from exc


def _identifiers(raw: str) -> str:
    text = raw or ""
    for separator in ("；", ";", "，", ",", "、"):
        text = text.replace(separator, "\n")
    return "\n".join(p.strip() for p in text.splitlines() if p.strip())[:2000]


def _entity_number(now: dt.datetime, count: int = 1) -> list[str]:
    first = Counter.reserve(f"scam-{now:%Y}", count)
    return [f"QX{now:%Y}{n:05d}" for n in range(first, first + count)]


@transaction.atomic
def scam_lead_create(
    *,
    actor,
    name: str,
    source: str,
    uscc: str = "",
    identifiers: str = "",
    kind: str = "",
    address: str = "",
    region_code: str = "",
    note: str = "",
    source_ref: str = "",
    reporter_phone: str = "",
    check_access: bool = True,
    at: dt.datetime | None = None,
) -> ScamEntity:
    """A new lead. Staff of the centre and the PBOC add any; a bank's staff report what they find.
    Other apps (the assistant, complaints) call with check_access=False for their own sources."""
    now = _now(at)
    viewer = viewer_for(actor)
    institution_id = None
    if check_access:
        if can_work_registry(viewer):
            pass
        elif viewer.roles & INSTITUTION_ROLES and not viewer.read_only:
            institution_id = next(iter(sorted(viewer.institution_ids())), None)
        else:
            raise PermissionDenied("您的角色不能登记线索")
    if source not in LeadSource.values:
        raise ApplicationError("未知的线索来源", code="invalid_source")
    name = (name or "").strip()
    if not 2 <= len(name) <= 120:
        raise ApplicationError("请填写主体名称（2至120字）", code="invalid_name")
    uscc = _clean_uscc(uscc)
    if uscc:
        existing = ScamEntity.objects.filter(uscc=uscc).first()
        if existing:
            raise ApplicationError(
                f"该统一社会信用代码已在台账中（{existing.number}）", code="duplicate_uscc", status=409
            )
    if kind and kind not in ScamKind.values:
        raise ApplicationError("未知的类型", code="invalid_kind")
    kind = kind or (ScamKind.NAME_OR_SCOPE if "征信" in name else ScamKind.CREDIT_REPAIR)
    if region_code and not Region.objects.filter(code=region_code).exists():
        region_code = region_code if len(region_code) == 6 and region_code.isdigit() else ""
    reporter = ""
    if reporter_phone:
        try:
            reporter = normalize_mobile(reporter_phone)
        except IdentifierError as exc:
            raise ApplicationError(str(exc), code="invalid_phone") from exc
    entity = ScamEntity.objects.create(
        number=_entity_number(now)[0],
        name=name,
        uscc=uscc,
        kind=kind,
        identifiers=_identifiers(identifiers),
        address=(address or "").strip()[:200],
        region_code=region_code,
        description=(note or "").strip()[:5000],
        source=source,
        source_ref=(source_ref or "")[:40],
        reporter_phone=reporter,
        reporter_hash=lookup_hash(reporter),
        reported_by=actor if getattr(actor, "pk", None) else None,
        reporting_institution_id=institution_id,
        status=ScamStatus.LEAD,
        status_changed_at=now,
        created_at=now,
    )
    ScamEntityEvent.objects.create(
        entity=entity,
        action="create",
        to_status=ScamStatus.LEAD,
        on_date=clock.local_date(now),
        note=f"{LeadSource(source).label}：{entity.description[:200]}"
        if entity.description
        else LeadSource(source).label,
        actor=entity.reported_by,
        actor_label=PUBLIC_LABEL if source == LeadSource.PUBLIC else _label(entity.reported_by),
        data={"source_ref": entity.source_ref},
        at=now,
    )
    return entity


def scam_public_report(
    *, phone: str, name: str, identifiers: str, description: str, region_code: str = "", at=None
) -> ScamEntity:
    """A member of the public reports an outfit (phone proven by a one-time code)."""
    description = (description or "").strip()
    if len(description) < 10:
        raise ApplicationError("请简要描述对方的说法或收费方式（至少10个字）", code="invalid_text")
    if not (identifiers or "").strip() and len((name or "").strip()) < 2:
        raise ApplicationError("请至少填写对方的名称，或电话、网址、微信号之一", code="invalid_name")
    return scam_lead_create(
        actor=None,
        name=(name or "").strip() or "未具名（见标识）",
        identifiers=identifiers,
        source=LeadSource.PUBLIC,
        note=description,
        region_code=region_code,
        reporter_phone=phone,
        check_access=False,
        at=at,
    )


def _registry_entity(actor, entity_id, *, write: bool = True) -> ScamEntity:
    from .selectors import scam_entity_get_for_user

    viewer = viewer_for(actor)
    entity = scam_entity_get_for_user(viewer, entity_id)
    if write and not can_work_registry(viewer):
        raise PermissionDenied("只有调处中心和人民银行工作人员可以办理台账")
    return entity


def _on_date(on_date, now: dt.datetime, entity: ScamEntity) -> dt.date:
    if on_date in (None, ""):
        return clock.local_date(now)
    if isinstance(on_date, str):
        try:
            on_date = dt.date.fromisoformat(on_date)
        except ValueError:
            raise ApplicationError("办理日期格式应为 YYYY-MM-DD", code="invalid_date") from None
    if on_date > clock.local_date(now):
        raise ApplicationError("办理日期不能晚于今天", code="invalid_date")
    if entity.last_action_on and on_date < entity.last_action_on:
        raise ApplicationError(
            f"办理日期不能早于上一步（{entity.last_action_on:%Y-%m-%d}）", code="invalid_date"
        )
    return on_date


@transaction.atomic
def scam_transition(
    *,
    actor,
    entity_id: int,
    action: str,
    note: str,
    on_date: dt.date | str | None = None,
    channel: str = "",
    rectify_due: dt.date | str | None = None,
    new_name: str = "",
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> ScamEntity:
    """One step of the lifecycle with its date, channel and officer; compare-and-set on (status, version)."""
    entity = _registry_entity(actor, entity_id)
    step = BY_ACTION.get(action)
    if step is None:
        raise ApplicationError(f"未知的操作“{action}”", code="invalid_action")
    if expected_version is not None and expected_version != entity.version:
        raise Conflict("台账已被他人更新，请刷新后重试")
    if entity.status not in step.sources:
        raise ApplicationError(
            f"当前为“{entity.get_status_display()}”，不能执行“{step.label}”", code="invalid_transition"
        )
    note = (note or "").strip()
    if not note:
        raise ApplicationError("请填写办理情况", code="note_required")
    now = _now(at)
    day = _on_date(on_date, now, entity)
    changes: dict = {
        "status": step.target,
        "status_changed_at": now,
        "version": entity.version + 1,
        "last_action_on": day,
        "officer": actor,
    }
    data: dict = {}
    if action == "identify" and not (entity.uscc or entity.identifiers.strip()):
        raise ApplicationError("核实确认前请补充统一社会信用代码或网址、电话等标识", code="identity_required")
    if "channel" in step.needs or channel:
        if channel not in CHANNEL_LABELS:
            raise ApplicationError("请选择告知方式", code="channel_required")
        data["channel"] = channel
    if step.target in CONTACTED:
        changes["contacted"] = True
    if "rectify_due" in step.needs:
        if isinstance(rectify_due, str) and rectify_due:
            try:
                rectify_due = dt.date.fromisoformat(rectify_due)
            except ValueError:
                raise ApplicationError("整改期限格式应为 YYYY-MM-DD", code="invalid_date") from None
        if not isinstance(rectify_due, dt.date) or rectify_due <= day:
            raise ApplicationError("请填写晚于办理日期的整改期限", code="rectify_due_required")
        changes["rectify_due"] = rectify_due
        data["rectify_due"] = rectify_due.isoformat()
    if "new_name" in step.needs:
        new_name = (new_name or "").strip()
        if not new_name:
            raise ApplicationError("请填写变更后的名称或经营范围", code="new_name_required")
        changes["new_name"] = new_name[:200]
        data["new_name"] = new_name[:200]
    if step.target == ScamStatus.CLOSED:
        changes["closed_on"] = day
    updated = ScamEntity.objects.filter(pk=entity.pk, status=entity.status, version=entity.version).update(
        **changes
    )
    if updated != 1:
        raise Conflict("台账已被他人更新，请刷新后重试")
    ScamEntityEvent.objects.create(
        entity=entity,
        action=action,
        from_status=entity.status,
        to_status=step.target,
        on_date=day,
        channel=channel,
        note=note,
        actor=actor,
        actor_label=_label(actor),
        data=data,
        at=now,
    )
    for key, value in changes.items():
        setattr(entity, key, value)
    return entity


@transaction.atomic
def scam_follow_up(
    *, actor, entity_id: int, note: str, channel: str, on_date=None, at: dt.datetime | None = None
) -> ScamEntityEvent:
    """A follow-up that does not change the status: a call, a visit, a referral to the police."""
    entity = _registry_entity(actor, entity_id)
    if entity.status in TERMINAL:
        raise ApplicationError("台账已销号或排除，不能再登记", code="invalid_state")
    if channel not in CHANNEL_LABELS:
        raise ApplicationError("请选择办理方式", code="channel_required")
    note = (note or "").strip()
    if not note:
        raise ApplicationError("请填写办理情况", code="note_required")
    now = _now(at)
    day = _on_date(on_date, now, entity)
    contact = channel in {"phone", "visit", "wechat", "letter", "interview", "joint"}
    ScamEntity.objects.filter(pk=entity.pk).update(
        last_action_on=day, contacted=entity.contacted or contact, officer=actor
    )
    return ScamEntityEvent.objects.create(
        entity=entity,
        action="follow_up",
        from_status=entity.status,
        to_status=entity.status,
        on_date=day,
        channel=channel,
        note=note,
        actor=actor,
        actor_label=_label(actor),
        at=now,
    )


# --- bulk import of leads -------------------------------------------------------------------------

HEADERS = {
    "name": ("名称", "企业名称", "主体名称", "单位名称", "name"),
    "uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "uscc"),
    "region": ("所在区县", "区县", "行政区划代码", "行政区划", "地区", "region"),
    "identifiers": ("网址", "电话", "联系电话", "网址或电话", "标识", "网址、电话、微信", "identifiers"),
    "address": ("地址", "住所", "经营场所", "address"),
    "kind": ("类型", "kind"),
    "note": ("备注", "经营范围", "线索内容", "note"),
}


@dataclass
class ImportResult:
    rows: int = 0
    valid: int = 0
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False
    numbers: list[str] = field(default_factory=list)


def _read_table(content: bytes, filename: str) -> list[list]:
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsx", ".xls", ".xlsm", ".ods"}:
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types for a broken workbook
            raise ApplicationError("无法读取该 Excel 文件，请确认文件未损坏", code="bad_file") from exc
    if suffix in {".csv", ".txt", ""}:
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ApplicationError("无法识别 CSV 文件的编码，请另存为 UTF-8", code="bad_file")
        return list(csv.reader(io.StringIO(text)))
    raise ApplicationError("只支持 CSV 或 Excel（.xlsx）文件", code="bad_file")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _region_lookup() -> dict[str, str]:
    names = {}
    for code, name in Region.objects.values_list("code", "name"):
        names[code] = code
        names[name] = code
    return names


def scam_import(*, actor, content: bytes, filename: str, dry_run: bool = False, at=None) -> ImportResult:
    """Import leads from a list (e.g. every registered company with 征信 in its name or scope).

    Every row is checked first; each problem is reported with its row number as the spreadsheet shows
    it. Valid rows are imported (unless dry_run); a row whose code is already in the registry is an error.
    """
    viewer = viewer_for(actor)
    if not can_work_registry(viewer):
        raise PermissionDenied("只有调处中心和人民银行工作人员可以导入台账")
    rows = _read_table(content, filename)
    result = ImportResult(dry_run=dry_run)
    if not rows:
        raise ApplicationError("文件是空的", code="empty_file")
    header = [_cell(h) for h in rows[0]]
    columns: dict[str, int] = {}
    for key, aliases in HEADERS.items():
        for index, title in enumerate(header):
            if title in aliases and key not in columns:
                columns[key] = index
    if "name" not in columns:
        raise ApplicationError("第1行应为表头，且须包含“名称”（或“企业名称”）列", code="no_header")
    body = rows[1:]
    if len(body) > MAX_IMPORT_ROWS:
        raise ApplicationError(f"一次最多导入 {MAX_IMPORT_ROWS} 行", code="too_many_rows")
    regions = _region_lookup()
    existing = dict(ScamEntity.objects.exclude(uscc="").values_list("uscc", "number"))
    kinds = {label: value for value, label in ScamKind.choices} | {v: v for v in ScamKind.values}
    seen: dict[str, int] = {}
    valid: list[dict] = []

    def get(row, key):
        index = columns.get(key)
        return _cell(row[index]) if index is not None and index < len(row) else ""

    for offset, row in enumerate(body):
        line = offset + 2
        if not any(_cell(c) for c in row):
            continue
        result.rows += 1
        problems = []
        name = get(row, "name")
        if not 2 <= len(name) <= 120:
            problems.append("名称为空或超过120字")
        uscc = get(row, "uscc")
        if uscc:
            try:
                uscc = normalize_uscc(uscc)
            except IdentifierError as exc:
                problems.append(str(exc))
                uscc = ""
        if uscc and uscc in existing:
            problems.append(f"统一社会信用代码已在台账中（{existing[uscc]}）")
        elif uscc and uscc in seen:
            problems.append(f"统一社会信用代码与第{seen[uscc]}行重复")
        region_raw = get(row, "region")
        region = regions.get(region_raw, "") if region_raw else ""
        if region_raw and not region:
            problems.append(f"无法识别的区县“{region_raw}”（请填写区县名称或六位行政区划代码）")
        kind_raw = get(row, "kind")
        kind = kinds.get(kind_raw, "") if kind_raw else ""
        if kind_raw and not kind:
            problems.append(f"未知的类型“{kind_raw}”")
        if problems:
            result.errors.append((line, "；".join(problems)))
            continue
        if uscc:
            seen[uscc] = line
        valid.append(
            {
                "name": name,
                "uscc": uscc,
                "region_code": region,
                "identifiers": _identifiers(get(row, "identifiers")),
                "address": get(row, "address")[:200],
                "kind": kind or (ScamKind.NAME_OR_SCOPE if "征信" in name else ScamKind.CREDIT_REPAIR),
                "description": get(row, "note")[:5000],
            }
        )
    result.valid = len(valid)
    if dry_run or not valid:
        return result
    now = _now(at)
    with transaction.atomic():
        numbers = _entity_number(now, len(valid))
        constant = {
            "source": LeadSource.IMPORT,
            "source_ref": (filename or "")[:40],
            "reported_by_id": getattr(actor, "pk", None),
            "status": ScamStatus.LEAD,
            "version": 0,
            "contacted": False,
            "reporter_phone": "",
            "reporter_hash": "",
            "new_name": "",
            "status_changed_at": now,
            "created_at": now,
        }
        try:
            _insert_many(
                ScamEntity,
                [{"number": n, **constant, **spec} for n, spec in zip(numbers, valid, strict=True)],
            )
        except IntegrityError as exc:
            raise Conflict("导入期间台账有变化（统一社会信用代码重复），请重新导入") from exc
        created = ScamEntity.objects.filter(source=LeadSource.IMPORT, created_at=now).values_list(
            "pk", flat=True
        )
        event = {
            "action": "create",
            "from_status": "",
            "to_status": ScamStatus.LEAD,
            "on_date": clock.local_date(now),
            "channel": "",
            "note": f"批量导入：{filename}",
            "actor_id": getattr(actor, "pk", None),
            "actor_label": _label(actor),
            "data": "{}",
            "at": now,
        }
        _insert_many(ScamEntityEvent, [{"entity_id": pk, **event} for pk in created])
    result.created = len(valid)
    result.numbers = numbers
    return result


def _insert_many(model, rows: list[dict]) -> None:
    """One executemany INSERT: several times faster than bulk_create on SQLite, which sends a few dozen
    rows per statement and builds a model instance per row. Values are adapted as the ORM would."""
    if not rows:
        return
    ops = connection.ops
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    adapters = []
    for f in fields:
        internal = f.get_internal_type()
        if internal == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif internal == "DateField":
            adapters.append(ops.adapt_datefield_value)
        else:
            adapters.append(None)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 — names from model metadata, values bound
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [adapt(row[name]) if adapt else row[name] for name, adapt in zip(names, adapters, strict=True)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- education content ----------------------------------------------------------------------------


def _editor(actor):
    viewer = viewer_for(actor)
    if not can_edit_content(viewer):
        raise PermissionDenied("只有调处中心和人民银行工作人员可以编辑宣传内容")
    return viewer


@transaction.atomic
def content_save(*, actor, obj: Material | TypicalCase) -> Material | TypicalCase:
    """Save a material or typical case edited in a form (the form has validated the fields)."""
    _editor(actor)
    if obj.pk is None:
        obj.created_by = actor
    obj.save()
    return obj


@transaction.atomic
def content_publish(*, actor, obj: Material | TypicalCase, publish: bool, at=None):
    _editor(actor)
    obj.is_published = publish
    if publish and obj.published_at is None:
        obj.published_at = _now(at)
    obj.save(update_fields=["is_published", "published_at", "updated_at"])
    return obj


def content_count_view(obj: Material | TypicalCase) -> None:
    type(obj).objects.filter(pk=obj.pk).update(views=obj.views + 1)


# --- quizzes --------------------------------------------------------------------------------------


def quiz_is_open(quiz: Quiz, now: dt.datetime) -> bool:
    return quiz.state == Quiz.State.OPEN and quiz.starts_at <= now <= quiz.ends_at


@transaction.atomic
def quiz_set_state(*, actor, quiz_id: int, state: str) -> Quiz:
    _editor(actor)
    quiz = Quiz.objects.filter(pk=quiz_id).first()
    if quiz is None:
        raise NotFound("竞答不存在")
    if state not in Quiz.State.values:
        raise ApplicationError("未知的状态", code="invalid_state")
    if hasattr(quiz, "draw") and state != Quiz.State.CLOSED:
        raise ApplicationError("已抽奖的竞答不能重新开放", code="already_drawn")
    if state == Quiz.State.OPEN and not quiz.bank.questions.filter(is_active=True).exists():
        raise ApplicationError("题库中没有题目", code="empty_bank")
    quiz.state = state
    quiz.save(update_fields=["state"])
    return quiz


@transaction.atomic
def quiz_start(
    *, quiz: Quiz, phone: str, organisation: str, name: str = "", at: dt.datetime | None = None
) -> Attempt:
    """Start (or resume) the phone's one attempt: draw the paper and fix the deadline on the server."""
    now = _now(at)
    try:
        phone = normalize_mobile(phone)
    except IdentifierError as exc:
        raise ApplicationError(str(exc), code="invalid_phone") from exc
    existing = Attempt.objects.filter(quiz=quiz, phone_hash=lookup_hash(phone)).first()
    if existing:
        if existing.state == Attempt.State.IN_PROGRESS and now <= existing.deadline_at + SUBMIT_GRACE:
            return existing
        raise ApplicationError("每个手机号只能参加一次本次竞答", code="already_attempted", status=409)
    if not quiz_is_open(quiz, now):
        raise ApplicationError("竞答未开始或已结束", code="quiz_closed")
    organisation = (organisation or "").strip()
    if quiz.organisation_list:
        if organisation not in quiz.organisation_list:
            raise ApplicationError("请选择所在单位", code="invalid_organisation")
    elif not 2 <= len(organisation) <= 60:
        raise ApplicationError("请填写所在单位（学校、社区、企业等，2至60字）", code="invalid_organisation")
    ids = list(quiz.bank.questions.filter(is_active=True).values_list("pk", flat=True))
    if not ids:
        raise ApplicationError("题库中没有题目", code="empty_bank")
    rng = secrets.SystemRandom()
    count = min(quiz.num_questions or len(ids), len(ids))
    paper = rng.sample(ids, count)
    try:
        with transaction.atomic():
            return Attempt.objects.create(
                quiz=quiz,
                token=secrets.token_urlsafe(16),
                phone=phone,
                phone_hash=lookup_hash(phone),
                name=(name or "").strip()[:30],
                organisation=organisation,
                question_ids=paper,
                max_score=count,
                started_at=now,
                deadline_at=now + dt.timedelta(seconds=quiz.time_limit_seconds),
            )
    except IntegrityError:
        raise ApplicationError(
            "每个手机号只能参加一次本次竞答", code="already_attempted", status=409
        ) from None


def _answer_set(value) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    return frozenset(str(v).strip().upper() for v in value if str(v).strip())


def score_paper(question_ids: list[int], answers: dict) -> tuple[int, dict[int, bool]]:
    """One mark per question answered exactly right (a multiple-choice question needs every right option)."""
    questions = Question.objects.filter(pk__in=question_ids).prefetch_related("choices")
    right = {q.pk: frozenset(c.label for c in q.choices.all() if c.is_correct) for q in questions}
    marks = {qid: _answer_set(answers.get(str(qid))) == right.get(qid) for qid in question_ids}
    return sum(marks.values()), marks


@transaction.atomic
def quiz_submit(*, token: str, phone: str, answers: dict, at: dt.datetime | None = None) -> Attempt:
    """Hand in the paper. The deadline is the server's: a paper handed in after it (beyond a few seconds'
    grace) is recorded as expired, scores nothing and does not enter the draw."""
    now = _now(at)
    attempt = Attempt.objects.select_related("quiz").filter(token=token or "").first()
    if attempt is None or attempt.phone_hash != lookup_hash(phone or ""):
        raise NotFound("答题记录不存在")
    if attempt.state != Attempt.State.IN_PROGRESS:
        raise ApplicationError("试卷已提交", code="already_submitted")
    clean = {str(k): sorted(_answer_set(v)) for k, v in (answers or {}).items() if str(k).isdigit()}
    if now > attempt.deadline_at + SUBMIT_GRACE:
        changes = {"state": Attempt.State.EXPIRED, "submitted_at": now, "answers": clean, "score": None}
    else:
        score, _marks = score_paper(attempt.question_ids, clean)
        percent = 100.0 * score / attempt.max_score if attempt.max_score else 0
        changes = {
            "state": Attempt.State.SUBMITTED,
            "submitted_at": now,
            "answers": clean,
            "score": score,
            "eligible": percent >= attempt.quiz.prize_min_percent,
        }
    if Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.IN_PROGRESS).update(**changes) != 1:
        raise ApplicationError("试卷已提交", code="already_submitted")
    for key, value in changes.items():
        setattr(attempt, key, value)
    return attempt


def draw_order_key(seed: str, attempt_id: int) -> str:
    return hmac.new(seed.encode("utf-8"), str(attempt_id).encode("ascii"), hashlib.sha256).hexdigest()


def draw_winners(seed: str, entrants: list[int], count: int) -> list[int]:
    """Deterministic: sort the entrants by HMAC-SHA256(seed, id) and take the first `count`."""
    return sorted(entrants, key=lambda pk: draw_order_key(seed, pk))[:count]


def entrants_digest(entrants: list[int]) -> str:
    return hashlib.sha256(",".join(str(pk) for pk in sorted(entrants)).encode("ascii")).hexdigest()


def eligible_entrants(quiz: Quiz) -> list[int]:
    return list(
        Attempt.objects.filter(quiz=quiz, state=Attempt.State.SUBMITTED, eligible=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def quiz_draw(
    *, actor, quiz_id: int, seed: str = "", witness: str = "", at: dt.datetime | None = None
) -> PrizeDraw:
    """Draw the prizes once the quiz has ended. The seed (given, e.g. a lottery number announced in
    advance, or generated here) and the entrant list are recorded so the draw can be re-run by anyone."""
    _editor(actor)
    quiz = Quiz.objects.select_for_update().filter(pk=quiz_id).first()
    if quiz is None:
        raise NotFound("竞答不存在")
    now = _now(at)
    if quiz.state != Quiz.State.CLOSED and now <= quiz.ends_at:
        raise ApplicationError("竞答结束后才能抽奖", code="quiz_not_ended")
    if PrizeDraw.objects.filter(quiz=quiz).exists():
        raise ApplicationError("本次竞答已经抽过奖", code="already_drawn", status=409)
    if quiz.prize_count < 1:
        raise ApplicationError("本次竞答没有设置奖品", code="no_prizes")
    seed = (seed or "").strip() or secrets.token_hex(16)
    if len(seed) > 128:
        raise ApplicationError("随机种子最长128个字符", code="invalid_seed")
    entrants = eligible_entrants(quiz)
    if not entrants:
        raise ApplicationError("没有符合抽奖条件的参赛者", code="no_entrants")
    winners = draw_winners(seed, entrants, quiz.prize_count)
    if quiz.state != Quiz.State.CLOSED:
        quiz.state = Quiz.State.CLOSED
        quiz.save(update_fields=["state"])
    return PrizeDraw.objects.create(
        quiz=quiz,
        seed=seed,
        entrants=entrants,
        entrants_digest=entrants_digest(entrants),
        winners=winners,
        prize_count=quiz.prize_count,
        drawn_by=actor,
        drawn_at=now,
        witness=(witness or "").strip()[:100],
    )


def draw_verify(draw: PrizeDraw) -> dict:
    """Re-run the recorded draw: same seed and entrants must give the same winners, and the entrant
    list must still be what the database holds."""
    recomputed = draw_winners(draw.seed, list(draw.entrants), draw.prize_count)
    current = eligible_entrants(draw.quiz)
    return {
        "winners_match": recomputed == list(draw.winners),
        "entrants_match": entrants_digest(current) == draw.entrants_digest,
        "recomputed": recomputed,
    }
