"""Publicity and education against "credit repair" scams, and the registry of the outfits themselves.

- ScamEntity: the registry (征信修复乱象治理台账): a lead is identified, told the rules, rectifies or
  changes its name/scope or is cancelled, and is then closed (销号) — "整改一家，销号一家".
- Material, TypicalCase: the education library and the typical-case library, published on the portal.
- QuestionBank, Quiz, Attempt, PrizeDraw: knowledge quizzes (有奖竞答) with timed attempts and a prize
  draw that anyone can re-run from its recorded seed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jiefen.common.crypto import EncryptedTextField
from jiefen.common.identifiers import mask_phone

# --- the scam-entity registry ---------------------------------------------------------------------


class ScamKind(models.TextChoices):
    CREDIT_REPAIR = "credit_repair", "“征信修复”“征信洗白”"
    AGENT_COMPLAINT = "agent_complaint", "代理维权、代理投诉"
    AGENT_SURRENDER = "agent_surrender", "代理退保"
    DEBT_AGENT = "debt_agent", "债务优化、停息挂账、反催收"
    NAME_OR_SCOPE = "name_or_scope", "名称或经营范围含“征信”字样"
    OTHER = "other", "其他非法中介"


class LeadSource(models.TextChoices):
    ASSISTANT = "assistant", "智能问答识别"
    COMPLAINT = "complaint", "投诉工单"
    STAFF = "staff", "工作人员发现"
    PUBLIC = "public_report", "群众举报"
    IMPORT = "import", "批量导入（企业名录）"


class ScamStatus(models.TextChoices):
    LEAD = "lead", "线索"
    IDENTIFIED = "identified", "已核实"
    NOTIFIED = "notified", "已告知"
    RECTIFYING = "rectifying", "整改中"
    RECTIFIED = "rectified", "已整改"
    RENAMED = "renamed", "已变更名称或经营范围"
    CANCELLED = "cancelled", "已注销"
    CLOSED = "closed", "已销号"
    DISMISSED = "dismissed", "已排除"


class ScamEntity(models.Model):
    number = models.CharField("台账编号", max_length=20, unique=True)
    name = models.CharField("名称", max_length=120)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)
    kind = models.CharField("类型", max_length=20, choices=ScamKind.choices, default=ScamKind.CREDIT_REPAIR)
    identifiers = models.TextField("网址、电话、微信等标识", blank=True, help_text="每行一个")
    address = models.CharField("地址", max_length=200, blank=True)
    region_code = models.CharField("所在区县（行政区划代码）", max_length=6, blank=True, db_index=True)
    description = models.TextField("线索内容", blank=True)
    source = models.CharField("来源", max_length=20, choices=LeadSource.choices)
    source_ref = models.CharField("来源编号", max_length=40, blank=True, help_text="如投诉编号、问答会话")
    reporter_phone = EncryptedTextField("举报人手机", blank=True)
    reporter_hash = models.CharField(max_length=64, blank=True, db_index=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reporting_institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任人",
    )
    status = models.CharField("状态", max_length=12, choices=ScamStatus.choices, default=ScamStatus.LEAD)
    version = models.PositiveIntegerField(default=0)
    status_changed_at = models.DateTimeField()
    last_action_on = models.DateField("最近办理日期", null=True, blank=True)
    contacted = models.BooleanField("已对接沟通", default=False)
    rectify_due = models.DateField("整改期限", null=True, blank=True)
    new_name = models.CharField("变更后名称或经营范围", max_length=200, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = "黑灰产主体"
        verbose_name_plural = "黑灰产主体台账"
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="scam_entity_uscc_unique")
        ]
        indexes = [models.Index(fields=["status", "region_code"], name="scam_status_region")]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def identifier_list(self) -> list[str]:
        return [line.strip() for line in self.identifiers.splitlines() if line.strip()]

    @property
    def masked_reporter(self) -> str:
        return mask_phone(self.reporter_phone)


class ScamEntityEvent(models.Model):
    """Each step and each follow-up on an entity: the action, its date, the channel and the officer."""

    entity = models.ForeignKey(ScamEntity, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    on_date = models.DateField("办理日期")
    channel = models.CharField("方式", max_length=20, blank=True)
    note = models.TextField("情况", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField("经办人", max_length=60)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField("记录时间")

    class Meta:
        ordering = ["on_date", "at", "id"]
        verbose_name = "台账办理记录"
        verbose_name_plural = "台账办理记录"

    def __str__(self) -> str:
        return f"{self.entity_id} {self.action} {self.on_date}"


# --- education library ----------------------------------------------------------------------------


class Topic(models.TextChoices):
    CREDIT_BASICS = "credit_basics", "征信基础知识"
    DISPUTES = "disputes", "异议与维权"
    CASES = "typical_cases", "典型案例"
    SCAMS = "scams", "防范“征信修复”骗局"


class Audience(models.TextChoices):
    PUBLIC = "public", "社会公众"
    ELDERLY = "elderly", "老年人"
    STUDENTS = "students", "青年学生"
    ENTERPRISES = "enterprises", "小微企业主"
    RURAL = "rural", "农村居民"
    STAFF = "staff", "金融机构员工"


class Publishable(models.Model):
    title = models.CharField("标题", max_length=120)
    slug = models.SlugField("网址名", max_length=80, unique=True)
    is_published = models.BooleanField("已发布", default=False)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    views = models.PositiveIntegerField("浏览次数", default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


class Material(Publishable):
    class Kind(models.TextChoices):
        BOARD = "board", "宣传展板"
        READING = "reading", "宣传读本"
        COURSEWARE = "courseware", "课件"
        VIDEO = "video", "视频"

    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    topic = models.CharField("主题", max_length=20, choices=Topic.choices)
    audience = models.CharField("对象", max_length=12, choices=Audience.choices, default=Audience.PUBLIC)
    summary = models.CharField("摘要", max_length=200)
    body = models.TextField("正文", help_text="空行分段；“## ”开头为小标题；“- ”开头为列表")
    link = models.CharField("视频或课件地址", max_length=300, blank=True, help_text="本平台或内网地址")
    source = models.CharField("依据与出处", max_length=300, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = "宣传材料"
        verbose_name_plural = "宣传材料"


class TypicalCase(Publishable):
    class Kind(models.TextChoices):
        SCAM = "scam", "“征信修复”诈骗"
        AGENT = "agent", "代理维权、代理退保"
        DISPUTE = "dispute", "征信异议"
        COMPLAINT = "complaint", "投诉处理"
        MEDIATION = "mediation", "纠纷调解"
        RELIEF = "relief", "困难纾解"

    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    region = models.CharField("地区", max_length=40, blank=True)
    year = models.PositiveSmallIntegerField("年份", null=True, blank=True)
    facts = models.TextField("基本案情")
    handling = models.TextField("处理经过与结果")
    lesson = models.TextField("案例启示")
    basis = models.CharField("依据", max_length=300, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = "典型案例"
        verbose_name_plural = "典型案例"


# --- quizzes --------------------------------------------------------------------------------------


class QuestionBank(models.Model):
    title = models.CharField("题库名称", max_length=80)
    topic = models.CharField("主题", max_length=20, choices=Topic.choices)
    description = models.TextField("说明", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "题库"
        verbose_name_plural = "题库"

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "单选题"
        MULTIPLE = "multiple", "多选题"
        JUDGE = "judge", "判断题"

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField("题型", max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField("题目")
    explanation = models.TextField("解析", blank=True)
    source = models.CharField("依据", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField("序号", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["bank", "position", "id"]
        verbose_name = "题目"
        verbose_name_plural = "题目"

    def __str__(self) -> str:
        return self.text[:40]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField("选项", max_length=2)
    text = models.CharField("内容", max_length=200)
    is_correct = models.BooleanField("正确", default=False)

    class Meta:
        ordering = ["question", "label"]
        verbose_name = "选项"
        verbose_name_plural = "选项"

    def __str__(self) -> str:
        return f"{self.label}. {self.text}"


class Quiz(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "未开始"
        OPEN = "open", "进行中"
        CLOSED = "closed", "已结束"

    title = models.CharField("竞答名称", max_length=120)
    slug = models.SlugField("网址名", max_length=80, unique=True)
    description = models.TextField("活动说明", blank=True)
    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, related_name="quizzes", verbose_name="题库"
    )
    num_questions = models.PositiveSmallIntegerField(
        "每份试卷题数", default=10, help_text="0 表示题库全部题目"
    )
    time_limit_seconds = models.PositiveIntegerField("答题时限（秒）", default=600)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.DRAFT)
    organisations = models.TextField("参赛单位", blank=True, help_text="每行一个；留空则由参赛者填写")
    prize_count = models.PositiveSmallIntegerField("奖品数量", default=0)
    prize_note = models.CharField("奖品说明", max_length=200, blank=True)
    # Entrants scoring at least this share of the marks join the draw (100: only full marks, 全部答对).
    prize_min_percent = models.PositiveSmallIntegerField("参与抽奖的最低得分率（%）", default=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = "有奖竞答"
        verbose_name_plural = "有奖竞答"

    def __str__(self) -> str:
        return self.title

    @property
    def organisation_list(self) -> list[str]:
        return [line.strip() for line in self.organisations.splitlines() if line.strip()]


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "答题中"
        SUBMITTED = "submitted", "已交卷"
        EXPIRED = "expired", "超时无效"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    token = models.CharField(max_length=32, unique=True)
    phone = EncryptedTextField("手机号")
    phone_hash = models.CharField(max_length=64)
    name = models.CharField("姓名", max_length=30, blank=True)
    organisation = models.CharField("所在单位", max_length=60)
    question_ids = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField("得分", null=True, blank=True)
    max_score = models.PositiveSmallIntegerField("满分", default=0)
    started_at = models.DateTimeField("开始时间")
    deadline_at = models.DateTimeField("交卷截止")
    submitted_at = models.DateTimeField("交卷时间", null=True, blank=True)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    eligible = models.BooleanField("可参与抽奖", default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "答题记录"
        verbose_name_plural = "答题记录"
        constraints = [models.UniqueConstraint(fields=["quiz", "phone_hash"], name="attempt_one_per_phone")]
        indexes = [models.Index(fields=["quiz", "state", "organisation"], name="attempt_quiz_org")]

    def __str__(self) -> str:
        return f"{self.quiz_id} {self.masked_phone}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100.0 * self.score / self.max_score, 1)


class PrizeDraw(models.Model):
    """The draw among eligible entrants. Winners are the entrants with the smallest
    HMAC-SHA256(seed, attempt id) — anyone holding the seed and the entrant list gets the same result."""

    quiz = models.OneToOneField(Quiz, on_delete=models.PROTECT, related_name="draw")
    algorithm = models.CharField(max_length=30, default="hmac-sha256-v1")
    seed = models.CharField("随机种子", max_length=128)
    entrants = models.JSONField("参与抽奖的答题记录", default=list)
    entrants_digest = models.CharField("名单摘要（SHA-256）", max_length=64)
    winners = models.JSONField("中奖答题记录", default=list)
    prize_count = models.PositiveSmallIntegerField()
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField()
    witness = models.CharField("监督人", max_length=100, blank=True)

    class Meta:
        verbose_name = "抽奖记录"
        verbose_name_plural = "抽奖记录"

    def __str__(self) -> str:
        return f"{self.quiz} {self.drawn_at:%Y-%m-%d}"
