"""The assistant's data: a versioned, reviewed knowledge base and the conversations it hands to people.

Knowledge base. `KbEntry` is the stable id ("query.fee"); each change is a new `KbVersion` that goes
draft → review → published. Publishing supersedes the entry's previous published version, which is
kept with its reviewer and time. `KbEvent` logs every step. `KbState` holds one counter, bumped on each
publication, that tells every process its cached matcher is stale.

Conversations. A person chatting on the portal (or through the API) gets a `Conversation` keyed by a
random token; each question and answer is a `Message`. A question the bot cannot answer opens a
`Handoff` in the queue of PBOC credit officers and centre staff; their reply is a message in the same
conversation, and an SMS if the person left a phone (kept encrypted, found through its keyed hash).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jiefen.common.crypto import EncryptedTextField
from jiefen.common.identifiers import mask_phone


class KbEntry(models.Model):
    key = models.CharField("条目编号", max_length=80, unique=True)
    # Order of the entries in the exported file: an editor's file keeps its layout after a round trip.
    position = models.PositiveIntegerField("排序", default=0)
    published = models.ForeignKey(
        "KbVersion",
        verbose_name="当前发布版本",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = "知识库条目"
        verbose_name_plural = "知识库条目"

    def __str__(self) -> str:
        return self.key


class KbVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        REVIEW = "review", "待审核"
        PUBLISHED = "published", "已发布"
        SUPERSEDED = "superseded", "已被新版本替代"
        RETIRED = "retired", "已停用"
        DISCARDED = "discarded", "已放弃"

    entry = models.ForeignKey(KbEntry, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    category = models.CharField("分类", max_length=40)
    question = models.CharField("标准问题", max_length=300)
    paraphrases = models.JSONField("相似问法", default=list, blank=True)
    answer = models.TextField("答案")
    source = models.CharField("依据", max_length=500, blank=True)
    # A string, as in the file ("2026-11-22"), so that a loaded file exports unchanged.
    reviewed_on = models.CharField("审核日期", max_length=20, blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    # Everything else an entry of the file format carries (synonyms, requires, an editor's own fields).
    extra = models.JSONField("其他字段", default=dict, blank=True)
    note = models.CharField("修改说明", max_length=300, blank=True)
    # A version made from an answered hand-off keeps the link, so reviewers see where it came from.
    from_handoff = models.ForeignKey(
        "Handoff", null=True, blank=True, on_delete=models.SET_NULL, related_name="kb_versions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=500, blank=True)

    class Meta:
        ordering = ["entry_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="assistant_kb_version_unique"),
            # At most one version of an entry is being worked on, and at most one is live.
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(status__in=["draft", "review"]),
                name="assistant_kb_one_open_version",
            ),
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(status="published"), name="assistant_kb_one_published"
            ),
        ]
        indexes = [models.Index(fields=["status", "entry"])]
        verbose_name = "知识库版本"
        verbose_name_plural = "知识库版本"

    def __str__(self) -> str:
        return f"{self.entry.key} v{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REVIEW)


class KbEvent(models.Model):
    version = models.ForeignKey(KbVersion, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=80)
    reason = models.CharField("说明", max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "知识库操作记录"
        verbose_name_plural = "知识库操作记录"

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"


class KbState(models.Model):
    """One row. `revision` grows with every publication; processes compare it to their cached matcher.

    The file format's top-level `synonyms`, `domain_terms` and `uncovered_terms` live here too (they belong to the whole
    knowledge base, not to an entry); they come from a loaded file and go back out on export.
    """

    revision = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    synonyms = models.JSONField(default=dict, blank=True)
    domain_terms = models.JSONField(default=list, blank=True)
    uncovered_terms = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "知识库发布状态"
        verbose_name_plural = "知识库发布状态"

    def __str__(self) -> str:
        return f"知识库第 {self.revision} 次发布"


class Conversation(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", "门户聊天"
        API = "api", "接口"

    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices, default=Channel.WEB)
    # Optional: for the SMS telling the person a human answered. Never shown in full to staff lists.
    phone = EncryptedTextField("手机号", blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    started_at = models.DateTimeField("开始时间")
    last_message_at = models.DateTimeField("最后消息时间")
    # A keyed hash of the address, for the rate limit and abuse review without storing the IP.
    ip_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-last_message_at"]
        verbose_name = "问答会话"
        verbose_name_plural = "问答会话"

    def __str__(self) -> str:
        return f"会话 {self.pk}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "提问人"
        BOT = "bot", "智能问答"
        STAFF = "staff", "人工答复"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=6, choices=Role.choices)
    text = models.TextField()
    # On bot messages: what the matcher decided, for statistics and for the queue.
    intent = models.CharField(max_length=80, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    handoff = models.BooleanField(default=False)
    scam_warning = models.BooleanField(default=False)
    sources = models.JSONField(default=list, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["role", "created_at"]), models.Index(fields=["conversation", "id"])]
        verbose_name = "问答消息"
        verbose_name_plural = "问答消息"

    def __str__(self) -> str:
        return f"{self.get_role_display()}：{self.text[:30]}"


class Handoff(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "待人工答复"
        ANSWERED = "answered", "已答复"
        CLOSED = "closed", "已关闭（无需答复）"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="handoffs")
    question = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.WAITING)
    scam_warning = models.BooleanField("含诈骗风险提示", default=False)
    created_at = models.DateTimeField("转人工时间")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reply = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    close_reason = models.CharField("关闭原因", max_length=300, blank=True)
    sms_sent = models.BooleanField("已短信通知", default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = "转人工"
        verbose_name_plural = "转人工队列"

    def __str__(self) -> str:
        return f"转人工 {self.pk}"

    @property
    def wait_seconds(self) -> int | None:
        if self.answered_at is None:
            return None
        return int((self.answered_at - self.created_at).total_seconds())
