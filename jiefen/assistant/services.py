"""Every change the assistant makes: questions and answers, hand-offs, the knowledge base's versions.

Each function validates, writes in one transaction and records who acted. Status changes are a
compare-and-set on (pk, status): two officers answering the same hand-off, or two reviewers acting on
the same version, cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from jiefen.common import clock, rules
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import ApplicationError, Conflict, NotFound
from jiefen.common.identifiers import IdentifierError, normalize_mobile
from jiefen.outreach.services import sms_send
from jiefen.public.services import signed_token

from . import runtime
from .kb import Entry, KnowledgeBase
from .matcher import Answer, Matcher
from .models import Conversation, Handoff, KbEntry, KbEvent, KbState, KbVersion, Message
from .selectors import KB_EDIT_ROLES, KB_PUBLISH_ROLES, QUEUE_ROLES, require

log = logging.getLogger(__name__)

OPEN = (KbVersion.Status.DRAFT, KbVersion.Status.REVIEW)
KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{1,79}$")
CATEGORIES = {
    "query": "信用报告查询",
    "dispute": "征信异议",
    "statement": "个人声明",
    "policy": "政策",
    "rescue": "信用救助",
    "complaint": "投诉",
    "mediation": "调解",
    "scam": "防诈骗",
    "collection": "催收",
    "privacy": "个人信息保护",
    "legal": "法律",
    "concept": "概念",
}
REPLY_MAX = 2000


def _label(actor) -> str:
    return str(actor) if actor is not None else "系统"


def _text(value, *, label: str, high: int, low: int = 1) -> str:
    value = (value or "").strip()
    if len(value) < low:
        raise ApplicationError(f"请填写{label}", code="invalid_text", extra={"field": label})
    if len(value) > high:
        raise ApplicationError(f"{label}不能超过{high}个字", code="invalid_text", extra={"field": label})
    return value


def _lines(values) -> list[str]:
    """A list from a list or from text with one item per line; blanks dropped, duplicates removed."""
    if isinstance(values, str):
        values = values.splitlines()
    out: list[str] = []
    for v in values or []:
        v = str(v).strip()
        if v and v not in out:
            out.append(v)
    return out


# ===================================================================================== asking
@dataclass
class AskResult:
    answer: Answer
    conversation: Conversation
    question: Message
    reply: Message
    handoff: Handoff | None


def new_token() -> str:
    return secrets.token_urlsafe(24)


def question_clean(question) -> str:
    """The question as the assistant will read it, or an error the person understands."""
    if question is None:
        question = ""
    if not isinstance(question, str):
        raise ApplicationError("问题应为文字", code="invalid_question")
    question = question.strip()
    if not question:
        raise ApplicationError("请输入您想咨询的问题", code="empty_question")
    limit = rules.amount("assistant.max_question_chars")
    if len(question) > limit:
        raise ApplicationError(
            f"问题太长了（{len(question)}字），请精简到{limit}字以内，只写您最想问的一句话",
            code="question_too_long",
        )
    return question


def answer_payload(a: Answer) -> dict:
    """The public answer: exactly the fields of the API (and of `jiefen ask`)."""
    return {
        "intent": a.intent,
        "answer": a.answer,
        "confidence": a.confidence,
        "handoff": a.handoff,
        "scam_warning": a.scam_warning,
        "sources": list(a.sources),
    }


def assistant_ask(
    *,
    question: str,
    token: str | None = None,
    channel: str = Conversation.Channel.WEB,
    ip: str | None = None,
    matcher: Matcher | None = None,
    at: dt.datetime | None = None,
) -> AskResult:
    """Answer one question and keep it; a question the bot cannot answer joins the human queue."""
    question = question_clean(question)
    # Answered before the transaction opens: the matcher may look at the published revision, and
    # nothing it does should hold the write lock.
    a = (matcher or runtime.get_matcher()).ask(question)
    return _record(question=question, answer=a, token=token, channel=channel, ip=ip, at=at or timezone.now())


@transaction.atomic
def _record(*, question: str, answer: Answer, token, channel, ip, at) -> AskResult:
    a, now = answer, at
    conv = Conversation.objects.select_for_update().filter(token=token).first() if token else None
    if conv is None:
        conv = Conversation.objects.create(
            token=new_token(),
            channel=channel,
            started_at=now,
            last_message_at=now,
            ip_hash=lookup_hash(f"ip:{ip}") if ip else "",
        )
    q_msg = Message.objects.create(conversation=conv, role=Message.Role.USER, text=question, created_at=now)
    r_msg = Message.objects.create(
        conversation=conv,
        role=Message.Role.BOT,
        text=a.answer,
        intent=a.intent or "",
        confidence=a.confidence,
        handoff=a.handoff,
        scam_warning=a.scam_warning,
        sources=list(a.sources),
        candidates=[[cid, score] for cid, score in a.candidates],
        created_at=now,
    )
    handoff = None
    if a.handoff:
        # One open hand-off per conversation: the officer reads the whole conversation anyway.
        handoff = conv.handoffs.filter(status=Handoff.Status.WAITING).first()
        if handoff is None:
            handoff = Handoff.objects.create(
                conversation=conv, question=q_msg, scam_warning=a.scam_warning, created_at=now
            )
    Conversation.objects.filter(pk=conv.pk).update(last_message_at=now)
    return AskResult(a, conv, q_msg, r_msg, handoff)


@transaction.atomic
def conversation_set_phone(*, token: str, phone: str) -> Conversation:
    """The person leaves a mobile number for the SMS when a human answers (empty clears it)."""
    conv = Conversation.objects.select_for_update().filter(token=token).first()
    if conv is None:
        raise NotFound("会话不存在，请先提问")
    phone = (phone or "").strip()
    if phone:
        try:
            phone = normalize_mobile(phone)
        except IdentifierError as exc:
            raise ApplicationError(str(exc), code="invalid_phone") from exc
    conv.phone = phone
    conv.phone_hash = lookup_hash(phone) if phone else ""
    conv.save(update_fields=["phone", "phone_hash"])
    return conv


def conversation_link(conv: Conversation, *, site: str = "") -> str:
    token = signed_token("assistant", {"t": conv.token})
    # Staff pages pass the site they are served from; background callers fall back to the setting.
    site = (site or getattr(settings, "JIEFEN_PUBLIC_URL", "") or "").rstrip("/")
    return site + reverse("assistant_public_link", args=[token])


# ===================================================================================== hand-off
@transaction.atomic
def handoff_reply(
    *, actor, handoff_id: int, text: str, site: str = "", at: dt.datetime | None = None
) -> Handoff:
    """A credit officer (or centre staff) answers: the chat shows it, and an SMS goes to a left phone."""
    require(actor, QUEUE_ROLES)
    text = _text(text, label="答复内容", high=REPLY_MAX)
    now = at or timezone.now()
    h = Handoff.objects.select_related("conversation").filter(pk=handoff_id).first()
    if h is None:
        raise NotFound("转人工记录不存在")
    if h.status != Handoff.Status.WAITING:
        raise Conflict("该问题已由他人答复或已关闭，请刷新后查看")
    msg = Message.objects.create(
        conversation=h.conversation, role=Message.Role.STAFF, text=text, author=actor, created_at=now
    )
    won = Handoff.objects.filter(pk=h.pk, status=Handoff.Status.WAITING).update(
        status=Handoff.Status.ANSWERED, answered_at=now, answered_by=actor, reply=msg
    )
    if not won:
        raise Conflict("该问题已由他人答复或已关闭，请刷新后查看")
    Conversation.objects.filter(pk=h.conversation_id).update(last_message_at=now)
    conv = h.conversation
    if conv.phone:
        _notify(conv, h.pk, text, actor=actor, site=site)
    h.refresh_from_db()
    return h


def _notify(conv: Conversation, handoff_id: int, reply: str, *, actor, site: str) -> None:
    """SMS once the reply is committed (no message for a rolled-back answer)."""
    phone = conv.phone
    short = reply if len(reply) <= 60 else reply[:60] + "……"
    text = (
        f"您在智能问答咨询的征信问题已有人工答复：{short} 查看完整答复：{conversation_link(conv, site=site)}"
    )

    def send():
        try:
            sms_send(
                to=phone,
                text=text,
                purpose="assistant_reply",
                actor=actor,
                subject=f"assistant:handoff:{handoff_id}",
            )
            Handoff.objects.filter(pk=handoff_id).update(sms_sent=True)
        except ApplicationError:
            log.warning("assistant hand-off %s: SMS not sent", handoff_id)

    transaction.on_commit(send)


@transaction.atomic
def handoff_close(*, actor, handoff_id: int, reason: str, at: dt.datetime | None = None) -> Handoff:
    """Close without an answer (advertising, abuse, a duplicate), with the reason on record."""
    require(actor, QUEUE_ROLES)
    reason = _text(reason, label="关闭原因", high=300)
    now = at or timezone.now()
    won = Handoff.objects.filter(pk=handoff_id, status=Handoff.Status.WAITING).update(
        status=Handoff.Status.CLOSED, answered_at=now, answered_by=actor, close_reason=reason
    )
    if not won:
        if not Handoff.objects.filter(pk=handoff_id).exists():
            raise NotFound("转人工记录不存在")
        raise Conflict("该问题已由他人答复或已关闭，请刷新后查看")
    return Handoff.objects.get(pk=handoff_id)


@transaction.atomic
def handoff_to_kb(
    *,
    actor,
    handoff_id: int,
    mode: str,
    key: str,
    category: str = "",
    question: str = "",
    answer: str = "",
    source: str = "",
) -> KbVersion:
    """Turn an answered hand-off into a draft: a new entry, or the question as a new paraphrase of an
    existing entry. Either way it is only a draft: a reviewer publishes it."""
    require(actor, KB_EDIT_ROLES)
    h = Handoff.objects.select_related("question", "reply").filter(pk=handoff_id).first()
    if h is None:
        raise NotFound("转人工记录不存在")
    if h.status != Handoff.Status.ANSWERED or h.reply is None:
        raise ApplicationError("请先答复该问题，再把它加入知识库", code="not_answered")
    asked = h.question.text.strip()
    if mode == "paraphrase":
        return kb_paraphrase_add(actor=actor, key=key, text=asked, from_handoff=h)
    if mode != "new":
        raise ApplicationError("请选择“新建条目”或“作为相似问法”", code="invalid_mode")
    return kb_version_save(
        actor=actor,
        key=key,
        create=True,
        category=category,
        question=question or asked,
        paraphrases=[asked] if question and question.strip() != asked else [],
        answer=answer or h.reply.text,
        source=source,
        note=f"由转人工问题 #{h.pk} 的人工答复整理",
        from_handoff=h,
    )


# ===================================================================================== knowledge base
def _event(version: KbVersion, action: str, frm: str, to: str, actor, reason: str = "", at=None) -> None:
    KbEvent.objects.create(
        version=version,
        action=action,
        from_status=frm,
        to_status=to,
        actor=actor,
        actor_label=_label(actor),
        reason=reason[:500],
        at=at or timezone.now(),
    )


def _bump_revision(now) -> None:
    KbState.objects.get_or_create(pk=1)
    KbState.objects.filter(pk=1).update(revision=F("revision") + 1, changed_at=now)
    # This process answers from the new version at once; other processes within CHECK_EVERY seconds.
    transaction.on_commit(runtime.invalidate)


def _content(*, category, question, paraphrases, answer, source, reviewed_on, keywords) -> dict:
    category = _text(category, label="分类", high=40)
    question = _text(question, label="标准问题", high=300)
    answer = _text(answer, label="答案", high=4000)
    source = (source or "").strip()
    if len(source) > 500:
        raise ApplicationError("依据不能超过500个字", code="invalid_text")
    reviewed_on = (reviewed_on or "").strip()
    if reviewed_on:
        try:
            dt.date.fromisoformat(reviewed_on)
        except ValueError:
            raise ApplicationError("审核日期应为 2026-01-31 这样的日期", code="invalid_date") from None
    paraphrases = [p for p in _lines(paraphrases) if p != question]
    if any(len(p) > 300 for p in paraphrases):
        raise ApplicationError("每条相似问法不能超过300个字", code="invalid_text")
    return {
        "category": category,
        "question": question,
        "paraphrases": paraphrases,
        "answer": answer,
        "source": source,
        "reviewed_on": reviewed_on,
        "keywords": _lines(keywords),
    }


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not KEY_RE.match(key):
        raise ApplicationError(
            "条目编号应为2–80个字母、数字、点、下划线或连字符，如 query.fee", code="invalid_key"
        )
    return key


@transaction.atomic
def kb_version_save(
    *,
    actor,
    key: str,
    category: str,
    question: str,
    paraphrases,
    answer: str,
    source: str = "",
    reviewed_on: str = "",
    keywords=(),
    extra: dict | None = None,
    note: str = "",
    create: bool = False,
    from_handoff: Handoff | None = None,
    at: dt.datetime | None = None,
) -> KbVersion:
    """Write the entry's draft: a new entry (create=True), a change to its open draft, or a new
    draft based on the published version. A version under review that is changed goes back to draft."""
    require(actor, KB_EDIT_ROLES, "您没有权限编辑知识库")
    now = at or timezone.now()
    content = _content(
        category=category,
        question=question,
        paraphrases=paraphrases,
        answer=answer,
        source=source,
        reviewed_on=reviewed_on,
        keywords=keywords,
    )
    if create:
        key = _check_key(key)
        if KbEntry.objects.filter(key=key).exists():
            raise ApplicationError(
                f"条目编号“{key}”已存在，请换一个或编辑原条目", code="duplicate_key", status=409
            )
        position = (KbEntry.objects.aggregate(m=Max("position"))["m"] or 0) + 1
        entry = KbEntry.objects.create(key=key, position=position)
    else:
        entry = KbEntry.objects.select_for_update().filter(key=key).first()
        if entry is None:
            raise NotFound("知识库条目不存在")
    note = (note or "").strip()[:300]
    version = entry.versions.filter(status__in=OPEN).first()
    if version is not None:
        frm = version.status
        for k, v in content.items():
            setattr(version, k, v)
        if extra is not None:
            version.extra = extra
        version.note = note or version.note
        version.status = KbVersion.Status.DRAFT
        if from_handoff is not None:
            version.from_handoff = from_handoff
        version.save()
        reason = "修改后退回草稿，需重新提交审核" if frm == KbVersion.Status.REVIEW else note
        _event(version, "edit", frm, KbVersion.Status.DRAFT, actor, reason, now)
        return version
    base = entry.published
    number = (entry.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            version = KbVersion.objects.create(
                entry=entry,
                number=number,
                status=KbVersion.Status.DRAFT,
                extra=extra if extra is not None else (dict(base.extra) if base else {}),
                note=note,
                from_handoff=from_handoff,
                created_by=actor,
                created_at=now,
                **content,
            )
    except IntegrityError:
        raise Conflict("该条目刚被他人修改，请刷新后重试") from None
    _event(version, "create", "", KbVersion.Status.DRAFT, actor, note, now)
    return version


def kb_paraphrase_add(*, actor, key: str, text: str, from_handoff: Handoff | None = None) -> KbVersion:
    """Add one way of asking to an entry, as a draft (based on its open draft, else on the live version)."""
    entry = KbEntry.objects.filter(key=key).first()
    if entry is None:
        raise NotFound("知识库条目不存在")
    base = entry.versions.filter(status__in=OPEN).first() or entry.published
    if base is None:
        raise ApplicationError("该条目没有可修改的版本", code="no_version")
    text = _text(text, label="相似问法", high=300)
    if text == base.question or text in base.paraphrases:
        raise ApplicationError("该问法已在条目中", code="duplicate_paraphrase")
    return kb_version_save(
        actor=actor,
        key=key,
        category=base.category,
        question=base.question,
        paraphrases=[*base.paraphrases, text],
        answer=base.answer,
        source=base.source,
        reviewed_on=base.reviewed_on,
        keywords=base.keywords,
        note=f"新增相似问法：{text}"[:300],
        from_handoff=from_handoff,
    )


def _version_for_update(version_id: int) -> KbVersion:
    v = KbVersion.objects.select_related("entry").filter(pk=version_id).first()
    if v is None:
        raise NotFound("知识库版本不存在")
    return v


def _cas(v: KbVersion, frm: str, **changes) -> None:
    if not KbVersion.objects.filter(pk=v.pk, status=frm).update(**changes):
        raise Conflict("该版本已被他人处理，请刷新后查看")
    for k, val in changes.items():
        setattr(v, k, val)


@transaction.atomic
def kb_version_submit(*, actor, version_id: int, at: dt.datetime | None = None) -> KbVersion:
    require(actor, KB_EDIT_ROLES, "您没有权限编辑知识库")
    now = at or timezone.now()
    v = _version_for_update(version_id)
    if v.status != KbVersion.Status.DRAFT:
        raise Conflict("只有草稿可以提交审核")
    _cas(v, KbVersion.Status.DRAFT, status=KbVersion.Status.REVIEW, submitted_by=actor, submitted_at=now)
    _event(v, "submit", KbVersion.Status.DRAFT, KbVersion.Status.REVIEW, actor, at=now)
    return v


def _authors(v: KbVersion) -> set[int]:
    ids = set(
        KbEvent.objects.filter(version=v, action__in=["create", "edit"], actor__isnull=False).values_list(
            "actor_id", flat=True
        )
    )
    if v.created_by_id:
        ids.add(v.created_by_id)
    return ids


@transaction.atomic
def kb_version_publish(*, actor, version_id: int, note: str = "", at: dt.datetime | None = None) -> KbVersion:
    """The review: a PBOC credit officer or the centre's administrator, who did not write this
    version, publishes it. The previous published version is kept as superseded."""
    viewer = require(actor, KB_PUBLISH_ROLES, "只有人民银行征信人员或调处中心管理员可以审核发布")
    now = at or timezone.now()
    v = _version_for_update(version_id)
    if v.status != KbVersion.Status.REVIEW:
        raise Conflict("只有待审核的版本可以发布，请先提交审核")
    if viewer.user_id in _authors(v):
        raise ApplicationError("不能审核自己编写的内容，请由另一位审核人发布", code="four_eyes", status=403)
    entry = KbEntry.objects.select_for_update().get(pk=v.entry_id)
    old = entry.published
    if old is not None and old.pk != v.pk:
        KbVersion.objects.filter(pk=old.pk, status=KbVersion.Status.PUBLISHED).update(
            status=KbVersion.Status.SUPERSEDED
        )
        _event(
            old,
            "supersede",
            KbVersion.Status.PUBLISHED,
            KbVersion.Status.SUPERSEDED,
            actor,
            f"由 v{v.number} 替代",
            now,
        )
    _cas(
        v,
        KbVersion.Status.REVIEW,
        status=KbVersion.Status.PUBLISHED,
        reviewed_by=actor,
        published_at=now,
        review_note=(note or "").strip()[:500],
        reviewed_on=clock.local_date(now).isoformat(),
    )
    entry.published = v
    entry.save(update_fields=["published"])
    _event(v, "publish", KbVersion.Status.REVIEW, KbVersion.Status.PUBLISHED, actor, note, now)
    _bump_revision(now)
    return v


@transaction.atomic
def kb_version_return(*, actor, version_id: int, note: str, at: dt.datetime | None = None) -> KbVersion:
    """Send a version back to its author with the reviewer's remarks."""
    require(actor, KB_PUBLISH_ROLES, "只有人民银行征信人员或调处中心管理员可以审核发布")
    note = _text(note, label="退回意见", high=500)
    now = at or timezone.now()
    v = _version_for_update(version_id)
    if v.status != KbVersion.Status.REVIEW:
        raise Conflict("只有待审核的版本可以退回")
    _cas(v, KbVersion.Status.REVIEW, status=KbVersion.Status.DRAFT, review_note=note)
    _event(v, "return", KbVersion.Status.REVIEW, KbVersion.Status.DRAFT, actor, note, now)
    return v


@transaction.atomic
def kb_version_discard(
    *, actor, version_id: int, reason: str = "", at: dt.datetime | None = None
) -> KbVersion:
    require(actor, KB_EDIT_ROLES, "您没有权限编辑知识库")
    now = at or timezone.now()
    v = _version_for_update(version_id)
    if v.status not in OPEN:
        raise Conflict("只能放弃草稿或待审核的版本")
    frm = v.status
    _cas(v, frm, status=KbVersion.Status.DISCARDED)
    _event(v, "discard", frm, KbVersion.Status.DISCARDED, actor, reason, now)
    if not v.entry.versions.exclude(status=KbVersion.Status.DISCARDED).exists():
        # A new entry whose only draft was dropped leaves nothing behind to list.
        KbEntry.objects.filter(pk=v.entry_id).delete()
    return v


@transaction.atomic
def kb_entry_retire(*, actor, key: str, reason: str, at: dt.datetime | None = None) -> KbEntry:
    """Stop answering from an entry (its versions stay on record)."""
    require(actor, KB_PUBLISH_ROLES, "只有人民银行征信人员或调处中心管理员可以停用条目")
    reason = _text(reason, label="停用原因", high=300)
    now = at or timezone.now()
    entry = KbEntry.objects.select_for_update().filter(key=key).first()
    if entry is None:
        raise NotFound("知识库条目不存在")
    v = entry.published
    if v is None:
        raise Conflict("该条目没有已发布的版本")
    _cas(v, KbVersion.Status.PUBLISHED, status=KbVersion.Status.RETIRED)
    entry.published = None
    entry.save(update_fields=["published"])
    _event(v, "retire", KbVersion.Status.PUBLISHED, KbVersion.Status.RETIRED, actor, reason, now)
    _bump_revision(now)
    return entry


def _same(v: KbVersion, e: Entry) -> bool:
    return runtime.version_to_entry(v).to_dict() == e.to_dict()


@transaction.atomic
def kb_load(
    *, actor, kb: KnowledgeBase, publish: bool = True, at: dt.datetime | None = None
) -> dict[str, int]:
    """Load a knowledge-base file (already parsed and validated by kb.load_kb) into the database.

    publish=True: the file is the reviewed knowledge base (the one in the repository, or a centre's
    own): each new or changed entry becomes its published version at once. publish=False: each new or
    changed entry becomes a version waiting for review. Entries that are unchanged are left alone, so
    loading the same file twice changes nothing."""
    if actor is not None:
        require(actor, KB_PUBLISH_ROLES if publish else KB_EDIT_ROLES, "您没有权限导入知识库")
    now = at or timezone.now()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for position, e in enumerate(kb, start=1):
        entry, created = KbEntry.objects.select_for_update().get_or_create(
            key=e.id, defaults={"position": position}
        )
        if entry.position != position:
            KbEntry.objects.filter(pk=entry.pk).update(position=position)
        current = entry.published
        if not publish:
            current = entry.versions.filter(status__in=OPEN).first() or current
        if current is not None and _same(current, e):
            counts["unchanged"] += 1
            continue
        extra = dict(e.extra)
        if e.synonyms:
            extra["synonyms"] = e.synonyms
        fields = {
            "category": e.category,
            "question": e.question,
            "paraphrases": list(e.paraphrases),
            "answer": e.answer,
            "source": e.source,
            "reviewed_on": e.reviewed_on,
            "keywords": list(e.keywords),
            "extra": extra,
        }
        open_version = entry.versions.filter(status__in=OPEN).first()
        number = (entry.versions.aggregate(m=Max("number"))["m"] or 0) + 1
        if publish:
            old = entry.published
            if old is not None:
                _cas(old, KbVersion.Status.PUBLISHED, status=KbVersion.Status.SUPERSEDED)
                _event(
                    old,
                    "supersede",
                    KbVersion.Status.PUBLISHED,
                    KbVersion.Status.SUPERSEDED,
                    actor,
                    "文件导入",
                    now,
                )
            v = KbVersion.objects.create(
                entry=entry,
                number=number,
                status=KbVersion.Status.PUBLISHED,
                created_by=actor,
                created_at=now,
                submitted_by=actor,
                submitted_at=now,
                reviewed_by=actor,
                published_at=now,
                note="文件导入",
                **fields,
            )
            entry.published = v
            entry.save(update_fields=["published"])
            _event(v, "import", "", KbVersion.Status.PUBLISHED, actor, "文件导入并发布", now)
        elif open_version is not None:
            for k, val in fields.items():
                setattr(open_version, k, val)
            frm = open_version.status
            open_version.status = KbVersion.Status.REVIEW
            open_version.submitted_by, open_version.submitted_at = actor, now
            open_version.save()
            _event(open_version, "import", frm, KbVersion.Status.REVIEW, actor, "文件导入，待审核", now)
        else:
            v = KbVersion.objects.create(
                entry=entry,
                number=number,
                status=KbVersion.Status.REVIEW,
                created_by=actor,
                created_at=now,
                submitted_by=actor,
                submitted_at=now,
                note="文件导入",
                **fields,
            )
            _event(v, "import", "", KbVersion.Status.REVIEW, actor, "文件导入，待审核", now)
        counts["created" if created else "updated"] += 1
    # The file's top-level synonyms, domain terms and uncovered subjects apply to the whole knowledge base.
    state, _ = KbState.objects.get_or_create(pk=1)
    fresh = (kb.synonyms, kb.domain_terms, kb.uncovered_terms)
    globals_changed = publish and (state.synonyms, state.domain_terms, state.uncovered_terms) != fresh
    if globals_changed:
        state.synonyms, state.domain_terms, state.uncovered_terms = fresh
        state.save(update_fields=["synonyms", "domain_terms", "uncovered_terms"])
    if publish and (counts["created"] or counts["updated"] or globals_changed):
        _bump_revision(now)
    return counts


def kb_export(*, include_open: bool = False) -> KnowledgeBase:
    """The published knowledge base in the file format (see kb.dump_kb)."""
    return runtime.published_kb(include_open=include_open)
