"""Demo: the starter library, a registry of ~76 "征信" companies at every stage of "rectify one, close
one" (two counties already cleared), and two quizzes (one finished and drawn, one running)."""

from __future__ import annotations

import datetime as dt

from jiefen.demo.fake import QUANZHOU_REGIONS, SURNAMES, mobile, person_name, uscc_number

from . import services
from .content import question_bank, seed_content
from .models import Quiz, ScamEntity

# Final stage of each imported company, in order. With the leads from other sources the registry lists
# 76 outfits, nearly all contacted and about 86% rectified, as in the seed.
PLAN = (
    ["closed"] * 49
    + ["rectified"] * 5
    + ["renamed"] * 6
    + ["cancelled"] * 5
    + ["rectifying"] * 3
    + ["notified"] * 2
    + ["identified"] * 1
    + ["lead"] * 1
    + ["dismissed"] * 2
)
PATHS = {
    "lead": [],
    "identified": ["identify"],
    "notified": ["identify", "notify"],
    "rectifying": ["identify", "notify", "start_rectify"],
    "rectified": ["identify", "notify", "start_rectify", "rectified"],
    "renamed": ["identify", "notify", "renamed"],
    "cancelled": ["identify", "notify", "start_rectify", "cancelled"],
    "closed": ["identify", "notify", "start_rectify", "rectified", "close"],
    "dismissed": ["dismiss"],
}
NOTES = {
    "identify": "经市场监管登记信息核实，名称或经营范围含“征信”字样，纳入治理台账",
    "notify": "告知《征信业管理条例》相关规定，提示未经许可不得从事征信业务",
    "start_rectify": "企业承诺停止“征信修复”相关宣传，限期变更经营范围",
    "rectified": "回访核实，已下架相关广告并停止违规业务",
    "renamed": "已办理工商变更登记",
    "cancelled": "企业已办理注销登记",
    "close": "核查无误，整改一家、销号一家",
    "dismiss": "系已备案的企业征信机构，依法经营，非治理对象",
}
CHANNELS = ["phone", "wechat", "visit", "letter"]
# Two counties where every company has been closed (清零), like 德清 and 安吉 in the seed.
CLEARED = ["350526", "350525"]
NAME_PARTS = ["征信服务", "信用管理", "征信咨询", "信用修复咨询", "企业征信", "信息咨询"]
ORGS = [
    "泉州师范学院",
    "黎明职业大学",
    "丰泽区东海街道",
    "鲤城区开元街道",
    "晋江市青阳街道",
    "工商银行泉州分行",
    "农业银行泉州分行",
    "泉州银行",
]


def _walk(entity, path, start: dt.datetime, officer, rng, now) -> None:
    at = start
    for action in path:
        at = min(
            at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5)), now - dt.timedelta(hours=1)
        )
        extra = {}
        if action == "notify":
            extra["channel"] = rng.choice(CHANNELS)
        if action == "start_rectify":
            extra["rectify_due"] = (at + dt.timedelta(days=30)).date()
        if action == "renamed":
            extra["new_name"] = entity.name.replace("征信", "信息").replace("信用修复", "商务")
        services.scam_transition(
            actor=officer, entity_id=entity.pk, action=action, note=NOTES[action], at=at, **extra
        )


def _registry(ctx) -> int:
    users, rng, now = ctx["users"], ctx["rng"], ctx["now"]
    officer = users["pbc_officer"]
    codes = list(QUANZHOU_REGIONS)
    codes.remove("350527")  # 金门县 is not administered from Quanzhou
    plan = list(PLAN)
    rows = ["企业名称,统一社会信用代码,所在区县,网址或电话,备注"]
    seen = set()
    for index, stage in enumerate(plan):
        region = (
            CLEARED[index % 2]
            if stage == "closed" and index < 8
            else rng.choice([c for c in codes if c not in CLEARED])
        )
        while True:
            name = f"泉州{rng.choice(SURNAMES)}{rng.choice('鑫诚信安达瑞恒')}{rng.choice(NAME_PARTS)}有限公司"
            if name not in seen:
                seen.add(name)
                break
        rows.append(
            f"{name},{uscc_number(rng, region)},{region},0595-{rng.randint(2000000, 2999999)},经营范围含“征信”字样"
        )
    start = now - dt.timedelta(days=75)
    result = services.scam_import(
        actor=officer,
        content="\n".join(rows).encode("utf-8"),
        filename="名称或经营范围含征信字样企业名单.csv",
        at=start,
    )
    for number, stage in zip(result.numbers, plan, strict=True):
        entity = ScamEntity.objects.get(number=number)
        _walk(entity, PATHS[stage], start, officer, rng, now)
    # Leads from the other sources.
    services.scam_public_report(
        phone=mobile(rng),
        name="“信用无忧”工作室",
        identifiers="微信 xinyong-wuyou；抖音号 征信洗白老师",
        description="对方在短视频里说交2980元可以删除信用卡逾期记录，要求先付一半定金并提供身份证照片。",
        region_code="350503",
        at=now - dt.timedelta(days=3),
    )
    services.scam_lead_create(
        actor=None,
        name="“停息挂账”代理团队（智能问答识别）",
        identifiers="电话 18900001111",
        source="assistant",
        source_ref="问答会话",
        note="多名用户在智能问答中提到该号码声称可代办停息挂账并收取服务费",
        check_access=False,
        at=now - dt.timedelta(days=2),
    )
    return ScamEntity.objects.count()


def _quiz(ctx, bank, *, title, slug, starts, ends, state, attempts, prizes) -> Quiz:
    users, rng, now = ctx["users"], ctx["rng"], ctx["now"]
    quiz = Quiz.objects.create(
        title=title,
        slug=slug,
        description="征信知识有奖竞答：共10题，限时10分钟。全部答对即可参加抽奖，每个手机号限答一次。",
        bank=bank,
        num_questions=10,
        time_limit_seconds=600,
        starts_at=starts,
        ends_at=ends,
        state=Quiz.State.OPEN,
        prize_count=prizes,
        prize_note="征信知识宣传纪念品",
        created_by=users["pbc_officer"],
    )
    correct = {
        q.pk: sorted(c.label for c in q.choices.all() if c.is_correct)
        for q in bank.questions.prefetch_related("choices")
    }
    wrong = {
        q.pk: [c.label for c in q.choices.all() if not c.is_correct][:1]
        for q in bank.questions.prefetch_related("choices")
    }
    span = max(1, int((min(ends, now) - starts).total_seconds()) - 3600)
    for _ in range(attempts):
        begun = starts + dt.timedelta(seconds=rng.randrange(span))
        attempt = services.quiz_start(
            quiz=quiz,
            phone=mobile(rng),
            organisation=rng.choice(ORGS),
            name=person_name(rng) if rng.random() < 0.5 else "",
            at=begun,
        )
        skill = rng.uniform(0.75, 1.0)
        answers = {
            str(pk): (correct[pk] if rng.random() < skill else wrong[pk]) for pk in attempt.question_ids
        }
        took = rng.randint(90, 560) if rng.random() > 0.03 else 700  # a few run out of time
        services.quiz_submit(
            token=attempt.token, phone=attempt.phone, answers=answers, at=begun + dt.timedelta(seconds=took)
        )
    if state == Quiz.State.CLOSED:
        quiz.state = Quiz.State.CLOSED
        quiz.save(update_fields=["state"])
        services.quiz_draw(
            actor=users["pbc_officer"],
            quiz_id=quiz.pk,
            seed=f"{ends:%Y%m%d}-{rng.randrange(10**6):06d}",
            witness="调处中心监督员",
            at=ends + dt.timedelta(days=1),
        )
    return quiz


def load(ctx) -> dict[str, int]:
    now = ctx["now"]
    made = seed_content(now=now, author=ctx["users"].get("pbc_officer"))
    entities = _registry(ctx)
    bank = question_bank()
    _quiz(
        ctx,
        bank,
        title="“征信修复”是骗局 征信知识需了解——有奖竞答（第一期）",
        slug="credit-repair-is-a-scam-1",
        starts=now - dt.timedelta(days=60),
        ends=now - dt.timedelta(days=30),
        state=Quiz.State.CLOSED,
        attempts=80,
        prizes=10,
    )
    _quiz(
        ctx,
        bank,
        title="“征信修复”是骗局 征信知识需了解——有奖竞答（第二期）",
        slug="credit-repair-is-a-scam-2",
        starts=now - dt.timedelta(days=7),
        ends=now + dt.timedelta(days=23),
        state=Quiz.State.OPEN,
        attempts=25,
        prizes=10,
    )
    return {**made, "registry": entities, "quizzes": 2}
