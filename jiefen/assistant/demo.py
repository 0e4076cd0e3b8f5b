"""Demo: the shipped knowledge base loaded and published, a fortnight of conversations, a hand-off
queue with answered and waiting questions, and a draft made from a hand-off waiting for review."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jiefen.demo.fake import mobile

from . import services
from .kb import default_kb_path, load_kb
from .models import Conversation, Handoff

# Everyday questions the bot answers.
ANSWERED = [
    "怎么查自己的征信",
    "手机上能查信用报告吗",
    "查征信要钱吗",
    "一年能免费查几次征信",
    "让我女儿帮我去打征信行不行",
    "公司的征信报告去哪打",
    "逾期记录多久能消",
    "银行没经过我同意查我征信合法吗",
    "征信有错怎么申诉",
    "异议提交后多久有结果",
    "真实的逾期能异议掉吗",
    "异议被驳回了怎么办",
    "个人声明是什么",
    "个人声明怎么加",
    "本人声明能撤销吗",
    "异议标注和个人声明有什么区别",
    "一次性信用修复要自己申请吗",
    "信用卡晚还两天会上征信吗",
]
# Scam pitches and scam-seeking questions: answered with the warning and the four free channels.
SCAM = [
    "有人说交3000块能帮我把逾期记录删掉，靠谱吗",
    "谁能帮我洗白征信，价格好说",
]
# Questions the bot does not know: they go to the queue.
HANDED_OVER = [
    ("我在国外，想查国内的征信，大使馆能办吗", "answered"),
    ("征信报告上的贷款余额和我手里的对不上，差了两百多块，算错误吗", "answered"),
    ("征信中心周末上班吗", "answered"),
    ("港澳台同胞能在内地查征信吗", "waiting"),
    ("破产了征信怎么办", "waiting"),
]
REPLIES = {
    "我在国外，想查国内的征信，大使馆能办吗": (
        "大使馆、领事馆不办理信用报告查询。您可以在境外登录人民银行征信中心网站（www.pbccrc.org.cn）用手机号"
        "注册后在线查询；也可以委托国内亲属持经公证的授权委托书和双方身份证件到查询网点代查。"
    ),
    "征信报告上的贷款余额和我手里的对不上，差了两百多块，算错误吗": (
        "报告里的余额是银行按结算日报送的数，和您当天看到的余额可能差几天的利息。先问贷款银行该月报送的"
        "余额是怎么算的；确实报错了，可以免费向银行或征信中心提出异议，20日内会书面答复。"
    ),
    "征信中心周末上班吗": (
        "各查询网点的办公时间不一样，多数只在工作日办公。出发前请打当地人民银行分支机构的电话确认；"
        "网上查询（www.pbccrc.org.cn）和已授权的银行App全天都能用。"
    ),
}


def load(ctx) -> dict:
    users = ctx["users"]
    rng = ctx["rng"]
    now = ctx["now"]
    officer = users.get("pbc_officer")
    admin = users.get("center_admin")
    counts = services.kb_load(
        actor=None, kb=load_kb(default_kb_path()), publish=True, at=now - dt.timedelta(days=20)
    )
    if Conversation.objects.exists():
        return {"kb_entries": counts["created"] + counts["updated"] + counts["unchanged"], "conversations": 0}
    made = {"conversations": 0, "handoffs": 0, "answered": 0}
    # A fortnight of questions, a few a day, during waking hours and (7×24) some at night.
    for day in range(14, 0, -1):
        for n in range(rng.randint(2, 5)):
            at = (now - dt.timedelta(days=day)).replace(
                hour=rng.choice([8, 10, 12, 15, 19, 22, 23]), minute=rng.randint(0, 59)
            )
            q = rng.choice(ANSWERED if rng.random() < 0.85 else SCAM)
            r = services.assistant_ask(question=q, ip=f"10.0.{day}.{n}", at=at)
            if rng.random() < 0.4:  # a follow-up in the same conversation
                services.assistant_ask(
                    question=rng.choice(ANSWERED),
                    token=r.conversation.token,
                    at=at + dt.timedelta(minutes=2),
                )
            made["conversations"] += 1
    for i, (question, state) in enumerate(HANDED_OVER):
        at = now - dt.timedelta(days=3 - i // 2, hours=rng.randint(1, 5))
        if state == "waiting":
            at = now - dt.timedelta(hours=2 + 3 * i)
        r = services.assistant_ask(question=question, ip=f"10.1.0.{i}", at=at)
        if r.handoff is None:
            continue
        made["conversations"] += 1
        made["handoffs"] += 1
        if i % 2 == 0:
            services.conversation_set_phone(token=r.conversation.token, phone=mobile(rng))
        if state == "answered" and officer is not None:
            with transaction.atomic():
                services.handoff_reply(
                    actor=officer,
                    handoff_id=r.handoff.pk,
                    text=REPLIES[question],
                    at=at + dt.timedelta(minutes=rng.randint(12, 90)),
                )
            made["answered"] += 1
    # One answered hand-off turned into a draft entry, waiting for the centre administrator's review.
    first_answered = Handoff.objects.filter(status=Handoff.Status.ANSWERED).order_by("created_at").first()
    if first_answered is not None and officer is not None and admin is not None:
        v = services.handoff_to_kb(
            actor=officer,
            handoff_id=first_answered.pk,
            mode="new",
            key="query.abroad",
            category="query",
            question="人在国外怎么查国内的信用报告？",
            source="人民银行征信中心网站查询说明 [S]",
        )
        services.kb_version_submit(actor=officer, version_id=v.pk)
        made["kb_drafts"] = 1
    made["sms"] = Handoff.objects.filter(sms_sent=True).count()
    made["kb_entries"] = counts["created"] + counts["updated"] + counts["unchanged"]
    return made
