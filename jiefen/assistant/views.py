"""Thin views: the public chat (/assistant/p/), and the staff pages (queue, knowledge base, test, stats)."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiefen.common import rules
from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.public.services import read_signed_token

from . import runtime, selectors, services
from .kb import dump_kb
from .matcher import Matcher
from .models import Conversation, Handoff, KbEvent, KbVersion, Message
from .ratelimit import check_rate, client_ip

SESSION_KEY = "assistant_conversation"
# How often the person's page asks for a human's reply (seconds).
POLL_SECONDS = 4
# The core questions offered as one-tap examples on the chat page.
EXAMPLES = [
    "怎么查自己的征信报告？",
    "查征信要收费吗？",
    "征信有错误怎么提异议？",
    "逾期记录多久才能消除？",
    "什么是个人声明？",
    "一次性信用修复要申请吗？",
]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _site(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _staff(view):
    """Login required; the services' PermissionDenied becomes a 403 page, NotFound a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None

    return wrapper


def _act(request, call, success: str, back: str):
    try:
        call()
        messages.success(request, success)
    except NotFound:
        raise
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back)


# ================================================================================== public chat
def _conversation(request) -> Conversation | None:
    token = request.session.get(SESSION_KEY)
    return Conversation.objects.filter(token=token).first() if token else None


def _chat_messages(conv: Conversation | None, after: int = 0):
    if conv is None:
        return []
    return list(conv.messages.filter(pk__gt=after).order_by("created_at", "id"))


def _last_id(conv: Conversation | None) -> int:
    if conv is None:
        return 0
    return conv.messages.order_by("-id").values_list("id", flat=True).first() or 0


def public_chat(request):
    conv = _conversation(request)
    msgs = _chat_messages(conv)
    return render(
        request,
        "assistant/public/chat.html",
        {
            "conversation": conv,
            "chat": msgs,
            "last_id": _last_id(conv),
            "examples": EXAMPLES,
            "poll_seconds": POLL_SECONDS,
            "max_chars": rules.amount("assistant.max_question_chars"),
            "waiting": conv is not None and conv.handoffs.filter(status=Handoff.Status.WAITING).exists(),
        },
    )


@require_POST
def public_ask(request):
    is_htmx = bool(request.headers.get("HX-Request"))
    question = request.POST.get("question", "")
    conv = _conversation(request)
    try:
        question = services.question_clean(question)
        check_rate(client_ip(request))
        result = services.assistant_ask(
            question=question, token=conv.token if conv else None, ip=client_ip(request)
        )
    except ApplicationError as exc:
        if not is_htmx:
            messages.error(request, exc.message)
            return redirect("assistant_public")
        return render(request, "assistant/public/_error.html", {"message": exc.message})
    request.session[SESSION_KEY] = result.conversation.token
    if not is_htmx:
        return redirect(reverse("assistant_public") + "#chat-end")
    conv = result.conversation
    return render(
        request,
        "assistant/public/_messages.html",
        {
            "chat": [result.question, result.reply],
            "conversation": conv,
            "last_id": result.reply.pk,
            "poll_seconds": POLL_SECONDS,
            "oob": True,
        },
    )


def public_poll(request):
    """htmx polls this: new messages after `after` (a human's reply), or 204 when there is nothing."""
    conv = _conversation(request)
    after = _int(request.GET.get("after")) or 0
    new = [m for m in _chat_messages(conv, after) if m.role == Message.Role.STAFF]
    if not new:
        return HttpResponse(status=204)
    return render(
        request,
        "assistant/public/_messages.html",
        {
            "chat": new,
            "conversation": conv,
            "last_id": max(m.pk for m in new),
            "poll_seconds": POLL_SECONDS,
            "oob": True,
        },
    )


@require_POST
def public_phone(request):
    conv = _conversation(request)
    is_htmx = bool(request.headers.get("HX-Request"))
    try:
        if conv is None:
            raise ApplicationError("请先提问，再留下手机号", code="no_conversation")
        services.conversation_set_phone(token=conv.token, phone=request.POST.get("phone", ""))
        text = (
            "已记录，人工答复后会短信通知您。" if request.POST.get("phone", "").strip() else "已清除手机号。"
        )
        ok = True
    except ApplicationError as exc:
        text, ok = exc.message, False
    if not is_htmx:
        (messages.success if ok else messages.error)(request, text)
        return redirect("assistant_public")
    return render(request, "assistant/public/_phone_result.html", {"text": text, "ok": ok})


@require_POST
def public_new(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("assistant_public")


def public_link(request, token: str):
    """The link in the SMS: reopens the conversation on any phone browser."""
    try:
        data = read_signed_token(
            "assistant", token, max_age=dt.timedelta(days=rules.amount("assistant.link_days"))
        )
    except ApplicationError as exc:
        return render(request, "assistant/public/invalid.html", {"message": exc.message}, status=403)
    if not Conversation.objects.filter(token=data.get("t")).exists():
        return render(request, "assistant/public/invalid.html", {"message": "会话不存在"}, status=404)
    request.session[SESSION_KEY] = data["t"]
    return redirect(reverse("assistant_public") + "#chat-end")


# ================================================================================== queue
@_staff
def home(request):
    return redirect("assistant_queue")


@_staff
def queue(request):
    status = request.GET.get("status", Handoff.Status.WAITING)
    if status not in Handoff.Status.values:
        status = Handoff.Status.WAITING
    ctx = {
        "rows": selectors.handoff_queue(request.user, status=status),
        "status": status,
        "statuses": Handoff.Status.choices,
        "counts": selectors.queue_counts(request.user),
        "here": "queue",
        "now": timezone.now(),
    }
    template = "assistant/_queue_rows.html" if request.headers.get("HX-Request") else "assistant/queue.html"
    return render(request, template, ctx)


def _candidates(raw) -> list[dict]:
    """The bot's best guesses with the published entry's question and answer, for the officer."""
    ids = [c[0] for c in raw or []]
    entries = {e.id: e for e in runtime.get_matcher().entries if e.id in ids}
    return [
        {"id": cid, "score": score, "question": entries[cid].question, "answer": entries[cid].answer}
        for cid, score in (raw or [])
        if cid in entries
    ]


@_staff
def handoff_detail(request, pk: int):
    h = selectors.handoff_get(request.user, pk)
    chat = list(h.conversation.messages.select_related("author").order_by("created_at", "id"))
    bot = next(
        (m for m in chat if m.role == Message.Role.BOT and m.created_at >= h.question.created_at), None
    )
    candidates = _candidates(bot.candidates if bot else [])
    kb_versions = list(h.kb_versions.select_related("entry"))
    return render(
        request,
        "assistant/handoff.html",
        {
            "h": h,
            "chat": chat,
            "candidates": candidates,
            "kb_versions": kb_versions,
            "can_reply": h.status == Handoff.Status.WAITING,
            "can_to_kb": h.status == Handoff.Status.ANSWERED,
            "entries": runtime.published_kb() or runtime.file_matcher().entries,
            "categories": services.CATEGORIES,
            "here": "queue",
        },
    )


@_staff
@require_POST
def handoff_reply(request, pk: int):
    return _act(
        request,
        lambda: services.handoff_reply(
            actor=request.user, handoff_id=pk, text=request.POST.get("text", ""), site=_site(request)
        ),
        "已答复：提问人在对话中可以看到，留了手机号的会收到短信",
        reverse("assistant_handoff", args=[pk]),
    )


@_staff
@require_POST
def handoff_close(request, pk: int):
    return _act(
        request,
        lambda: services.handoff_close(
            actor=request.user, handoff_id=pk, reason=request.POST.get("reason", "")
        ),
        "已关闭",
        reverse("assistant_queue"),
    )


@_staff
@require_POST
def handoff_to_kb(request, pk: int):
    p = request.POST
    made = {}

    def call():
        made["v"] = services.handoff_to_kb(
            actor=request.user,
            handoff_id=pk,
            mode=p.get("mode", ""),
            key=p.get("key", ""),
            category=p.get("category", ""),
            question=p.get("question", ""),
            answer=p.get("answer", ""),
            source=p.get("source", ""),
        )

    response = _act(
        request,
        call,
        "已生成知识库草稿，提交审核并发布后才会用于回答",
        reverse("assistant_handoff", args=[pk]),
    )
    if "v" in made:
        return redirect("assistant_kb_entry", key=made["v"].entry.key)
    return response


# ================================================================================== knowledge base
@_staff
def kb_list(request):
    g = request.GET
    rows = selectors.kb_entries(
        request.user, q=g.get("q", "")[:60], status=g.get("status", ""), category=g.get("category", "")
    )
    return render(
        request,
        "assistant/kb_list.html",
        {
            "rows": rows,
            "q": g.get("q", ""),
            "status": g.get("status", ""),
            "category": g.get("category", ""),
            "categories": selectors.kb_categories(),
            "review_count": KbVersion.objects.filter(status=KbVersion.Status.REVIEW).count(),
            "can_publish": selectors.can(request.user, selectors.KB_PUBLISH_ROLES),
            "here": "kb",
        },
    )


def _form_fields(post) -> dict:
    return {
        "category": post.get("category", ""),
        "question": post.get("question", ""),
        "paraphrases": post.get("paraphrases", ""),
        "answer": post.get("answer", ""),
        "source": post.get("source", ""),
        "reviewed_on": post.get("reviewed_on", ""),
        "keywords": post.get("keywords", ""),
        "note": post.get("note", ""),
    }


def _initial(v: KbVersion | None) -> dict:
    if v is None:
        return {"category": "query"}
    return {
        "category": v.category,
        "question": v.question,
        "paraphrases": "\n".join(v.paraphrases),
        "answer": v.answer,
        "source": v.source,
        "reviewed_on": v.reviewed_on,
        "keywords": "\n".join(v.keywords),
        "note": "",
    }


@_staff
def kb_new(request):
    selectors.require(request.user, selectors.KB_EDIT_ROLES, "您没有权限编辑知识库")
    form = _initial(None)
    key = ""
    if request.method == "POST":
        form = _form_fields(request.POST)
        key = request.POST.get("key", "")
        try:
            v = services.kb_version_save(actor=request.user, key=key, create=True, **form)
            messages.success(request, "已保存为草稿。提交审核、发布后才会用于回答。")
            return redirect("assistant_kb_entry", key=v.entry.key)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "assistant/kb_edit.html",
        {"form": form, "key": key, "new": True, "categories": services.CATEGORIES, "here": "kb"},
    )


@_staff
def kb_entry(request, key: str):
    entry = selectors.kb_entry_get(request.user, key)
    versions = list(
        entry.versions.select_related("created_by", "submitted_by", "reviewed_by", "from_handoff").order_by(
            "-number"
        )
    )
    events = list(
        KbEvent.objects.filter(version__entry=entry).select_related("version").order_by("-at", "-id")[:50]
    )
    open_version = selectors.kb_open_version(entry)
    return render(
        request,
        "assistant/kb_entry.html",
        {
            "entry": entry,
            "versions": versions,
            "events": events,
            "open": open_version,
            "published": entry.published,
            "can_publish": selectors.can(request.user, selectors.KB_PUBLISH_ROLES),
            "categories": services.CATEGORIES,
            "here": "kb",
        },
    )


@_staff
def kb_edit(request, key: str):
    entry = selectors.kb_entry_get(request.user, key)
    selectors.require(request.user, selectors.KB_EDIT_ROLES, "您没有权限编辑知识库")
    form = _initial(selectors.kb_open_version(entry) or entry.published)
    if request.method == "POST":
        form = _form_fields(request.POST)
        try:
            services.kb_version_save(actor=request.user, key=key, **form)
            messages.success(request, "已保存为草稿。提交审核、发布后才会用于回答。")
            return redirect("assistant_kb_entry", key=key)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "assistant/kb_edit.html",
        {
            "form": form,
            "key": key,
            "entry": entry,
            "new": False,
            "categories": services.CATEGORIES,
            "here": "kb",
        },
    )


_VERSION_ACTIONS = {
    "submit": (services.kb_version_submit, "已提交审核", False),
    "publish": (services.kb_version_publish, "已发布，智能问答即刻按新版本回答", True),
    "return": (services.kb_version_return, "已退回修改", True),
    "discard": (services.kb_version_discard, "已放弃该版本", True),
}


@_staff
@require_POST
def kb_version_action(request, pk: int, action: str):
    if action not in _VERSION_ACTIONS:
        raise Http404
    func, success, with_note = _VERSION_ACTIONS[action]
    v = KbVersion.objects.select_related("entry").filter(pk=pk).first()
    if v is None:
        raise Http404("知识库版本不存在")
    kwargs = {"actor": request.user, "version_id": pk}
    if with_note:
        kwargs["note" if action != "discard" else "reason"] = request.POST.get("note", "")
    back = reverse("assistant_kb_entry", args=[v.entry.key])
    if action == "discard" and v.entry.versions.count() == 1:
        back = reverse("assistant_kb")
    return _act(request, lambda: func(**kwargs), success, back)


@_staff
@require_POST
def kb_retire(request, key: str):
    return _act(
        request,
        lambda: services.kb_entry_retire(actor=request.user, key=key, reason=request.POST.get("reason", "")),
        "已停用该条目，智能问答不再用它回答",
        reverse("assistant_kb_entry", args=[key]),
    )


@_staff
def kb_export(request):
    selectors.require(request.user, selectors.KB_EDIT_ROLES)
    fmt = "yaml" if request.GET.get("format") == "yaml" else "json"
    kb = services.kb_export()
    if not kb:
        messages.error(request, "数据库中还没有已发布的条目")
        return redirect("assistant_kb")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"knowledge_base.{fmt}"
        dump_kb(kb, path)
        content = path.read_bytes()
    name = f"knowledge_base-{timezone.localdate():%Y%m%d}.{fmt}"
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=name)


# ================================================================================== test and stats
@_staff
def test_page(request):
    selectors.require(request.user, selectors.QUEUE_ROLES)
    q = request.GET.get("q", "").strip()[: rules.amount("assistant.max_question_chars")]
    drafts = request.GET.get("drafts") == "1"
    result = None
    if q:
        if drafts:
            # A preview with the drafts in place of their published versions: built for this request
            # only (tens of milliseconds), never cached, never used for the public.
            kb = runtime.published_kb(include_open=True)
            matcher = Matcher(kb) if kb else runtime.file_matcher()
        else:
            matcher = runtime.get_matcher()
        result = matcher.explain(q)
        result["payload"] = services.answer_payload(result["answer"])
        result["payload_json"] = json.dumps(result["payload"], ensure_ascii=False, indent=1)
        result["scam_reasons"] = result["answer"].scam_reasons
    return render(
        request, "assistant/test.html", {"q": q, "drafts": drafts, "result": result, "here": "test"}
    )


@_staff
def stats_page(request):
    days = _int(request.GET.get("days")) or 14
    data = selectors.assistant_stats(request.user, days=days)
    return render(
        request,
        "assistant/stats.html",
        {
            "s": data,
            "days_options": (7, 14, 30, 90),
            "here": "stats",
            "can_queue": selectors.can(request.user, selectors.QUEUE_ROLES),
        },
    )
