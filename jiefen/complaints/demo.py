"""Demo: QR channels for every branch, and complaints at the two demo banks' branches in every state —
fresh, called back, answered and rated, extended (to 30 and to 60 days), overdue and escalated to the
head office and to the centre, reopened, unresolved, converted to mediation, withdrawn.

Everything goes through the services with injected times, so timelines and clocks are real.
"""

from __future__ import annotations

import datetime as dt

from jiefen.accounts.models import User
from jiefen.common.clock import SHANGHAI
from jiefen.demo.fake import mobile, person_name
from jiefen.orgs.models import Branch, Membership
from jiefen.orgs.roles import Role

from . import services
from .models import Complaint

TEXTS = [
    (
        "business",
        "到网点办理对公账户变更，柜员说资料不齐不能办理，但没有一次性告诉我还缺哪些资料，来回跑了三趟。",
        "请一次性告知需要的全部资料，尽快办理变更",
    ),
    (
        "service",
        "今天上午在网点排队一个多小时，只开了两个窗口，大堂经理态度冷淡，老人在旁边站着也没人引导。",
        "增加窗口，改善服务态度，给老年人提供帮助",
    ),
    (
        "card",
        "信用卡年费在我已经满足免年费条件的情况下被扣收了，打客服电话说要核实，一直没有结果。",
        "退还年费并说明原因",
    ),
    (
        "loan",
        "经营贷到期前我申请续贷，客户经理一直拖着不给答复，现在马上到期了，担心逾期影响征信。",
        "尽快答复续贷审批结果，告知需要补充的材料",
    ),
    (
        "collection",
        "我的信用卡逾期了两个月，催收人员晚上十点多还打电话，还打给了我的同事，影响很坏。",
        "停止骚扰我的同事，规范催收时间",
    ),
    ("fees", "办理跨行转账被收取了手续费，但网点公告写的是免费，要求解释。", "退还手续费"),
    (
        "credit_report",
        "我查征信发现有一笔贷款显示逾期一个月，但我每个月都是按时自动扣款的，卡里余额是足够的。",
        "核查并更正逾期记录",
    ),
    (
        "wealth",
        "在网点购买的理财产品，当时客户经理说保本，现在亏损了，购买时没有做风险评估录音录像。",
        "说明情况，依法赔偿损失",
    ),
    ("payment", "手机银行转账失败但钱被扣了，三天了还没有退回。", "尽快退回款项"),
    ("business", "社保卡补办说要等一个月，听说别的网点当场就能办，能不能加快。", "尽快办理社保卡"),
]
AGENT_TEXTS = [
    (
        "card",
        "本人委托某某法务咨询公司代理投诉，专业代理维权，要求停息挂账、减免全部罚息和违约金，后续由代理人与贵行协商，协商成功后支付服务费。",
        "停息挂账，减免全部罚息、复利和违约金",
    ),
    (
        "credit_report",
        "某征信修复公司说可以帮我删掉逾期记录，让我先投诉银行说是系统错误，洗白征信后再收费。",
        "删除逾期记录",
    ),
]
REPLY = "您好，经核实，我行已为您办理完毕，并对相关人员进行了批评教育。感谢您的监督，如有疑问请致电网点。"
REFUSAL = (
    "您好，经核查，相关费用按合同约定收取，暂无法退还。我行已向您说明收费依据，如您仍有异议，可申请调解。"
)


def _branch_exec(ctx, branch: Branch) -> User:
    """The 丰泽 branch executive of the first demo bank: an inst_manager narrowed to one branch."""
    user, created = User.objects.get_or_create(
        username="bank_a_branch", defaults={"display_name": "李行长（丰泽支行）"}
    )
    if created:
        user.set_password(ctx["password"])
        user.save()
    Membership.objects.get_or_create(
        user=user, institution=branch.institution, role=Role.INST_MANAGER, defaults={"branch": branch}
    )
    return user


def load(ctx) -> dict[str, int]:
    insts, users, rng, now = ctx["institutions"], ctx["users"], ctx["rng"], ctx["now"]
    for branch in Branch.objects.filter(institution__kind__in=["bank", "lender"]):
        services.channel_for_branch(branch)
    for inst in insts.values():
        if inst.is_creditor:
            services.channel_for_institution(inst)
    banks = [insts["ICBC-QZ"], insts["ABC-QZ"]]
    branches = {b.pk: list(b.branches.order_by("code")) for b in banks}
    executive = _branch_exec(ctx, branches[banks[0].pk][0])
    handlers = {
        banks[0].pk: [executive, users["bank_a_complaints"]],
        banks[1].pk: [users["bank_b_manager"]],
    }
    heads = {banks[0].pk: users["bank_a_manager"], banks[1].pk: users["center_staff"]}
    centre = users["center_staff"]

    def ago(days: float, hour: int | None = None) -> dt.datetime:
        moment = (now - dt.timedelta(days=days)).astimezone(SHANGHAI)
        if hour is not None:
            moment = moment.replace(hour=hour, minute=rng.randint(0, 59))
        return min(moment, now - dt.timedelta(minutes=30))

    def office(c: Complaint, days: float) -> dt.datetime:
        """`days` after receipt, moved into office hours: staff do not phone at three in the morning."""
        moment = (c.received_at + dt.timedelta(days=days)).astimezone(SHANGHAI)
        if moment.hour >= 18:
            moment = (moment + dt.timedelta(days=1)).replace(hour=9)
        elif moment.hour < 9:
            moment = moment.replace(hour=9)
        return min(moment, now - dt.timedelta(minutes=20))

    made = {"complaints": 0}

    def file(days_ago: float, bank_index: int, *, text=None, branch_index=None) -> tuple[Complaint, User]:
        bank = banks[bank_index]
        branch = branches[bank.pk][branch_index if branch_index is not None else rng.randrange(3)]
        if bank_index == 0 and branch_index is None and rng.random() < 0.5:
            branch = branches[bank.pk][0]  # the 丰泽 branch gets the most, so bank_a_branch has a desk
        category, description, request = text or rng.choice(TEXTS)
        complaint = services.complaint_submit(
            channel=services.channel_for_branch(branch),
            phone=mobile(rng),
            name=person_name(rng) if rng.random() < 0.7 else "",
            category=category,
            description=description,
            request=request,
            consent_personal=True,
            consent_sensitive=rng.random() < 0.4,
            at=ago(days_ago, hour=rng.randint(8, 20)),
        )
        made["complaints"] += 1
        staff = handlers[bank.pk]
        who = executive if branch == branches[banks[0].pk][0] and bank_index == 0 else staff[-1]
        return complaint, who

    def callback(c, who, day):
        services.complaint_log_callback(
            actor=who,
            complaint_id=c.pk,
            note="已电话联系投诉人，了解具体情况。",
            minutes=rng.randint(3, 15),
            at=c.received_at + dt.timedelta(days=day),
        )

    def reply(c, who, day, text=REPLY):
        services.complaint_reply(
            actor=who, complaint_id=c.pk, text=text, at=c.received_at + dt.timedelta(days=day)
        )

    def rate(c, day, resolved=True, rating=5, mediation=False):
        replied = Complaint.objects.get(pk=c.pk).status_changed_at
        services.complaint_confirm(
            complaint_id=c.pk,
            phone=c.phone,
            resolved=resolved,
            rating=rating,
            comment="处理及时，态度很好" if rating >= 4 else "",
            request_mediation=mediation,
            at=min(
                max(c.received_at + dt.timedelta(days=day), replied + dt.timedelta(hours=2)),
                now - dt.timedelta(minutes=10),
            ),
        )

    def extend(c, who, approver, to_days, day):
        ext = services.complaint_extension_request(
            actor=who,
            complaint_id=c.pk,
            to_days=to_days,
            reason="涉及调取监控录像和跨部门核查，情况复杂",
            at=office(c, day),
        )
        services.complaint_extension_decide(
            actor=approver,
            extension_id=ext.pk,
            approve=True,
            note="同意",
            at=ext.requested_at + dt.timedelta(hours=2),
        )

    # History over the last four months: answered within the period and rated (the statistics).
    for _ in range(30):
        days_ago = rng.uniform(25, 120)
        c, who = file(days_ago, rng.randrange(2))
        callback(c, who, rng.uniform(0.1, 2))
        answer_day = rng.uniform(3, 14) if rng.random() < 0.9 else rng.uniform(16, 20)
        reply(c, who, answer_day)
        rate(c, answer_day + rng.uniform(0.2, 3), rating=rng.choices([5, 4, 3, 2], weights=[6, 3, 1, 0.5])[0])

    for bank_index in (0, 1):
        head = heads[banks[bank_index].pk]
        # fresh, not yet taken
        file(rng.uniform(0.2, 2), bank_index)
        # called back, being handled
        c, who = file(rng.uniform(3, 8), bank_index)
        callback(c, who, 1)
        # answered, waiting for the complainant's rating
        c, who = file(6, bank_index)
        callback(c, who, 0.5)
        reply(c, who, 4)
        # answered and never rated: closed by the sweep below
        c, who = file(20, bank_index)
        reply(c, who, 9)
        # extended to 30 days, still in time
        c, who = file(18, bank_index)
        callback(c, who, 1)
        extend(c, who, head, 30, 10)
        # extended to 30 and then to 60 days (specially complex, approved by the head office/centre)
        c, who = file(40, bank_index)
        callback(c, who, 2)
        extend(c, who, head, 30, 12)
        extend(c, who, head if bank_index == 0 else centre, 60, 28)
        # past 15 days without an answer: escalated to the head office by the sweep
        c, who = file(17, bank_index)
        # long past: escalated to the centre as well
        file(26, bank_index)
        # due within the reminder window
        file(13, bank_index)
        # answered late, still rated
        c, who = file(35, bank_index)
        reply(c, who, 19)
        rate(c, 21, rating=3)
        # not resolved: the complainant asks for mediation; the centre converts one
        c, who = file(
            30,
            bank_index,
            text=("fees", "贷款提前还款被收取了高额违约金，合同里没有明确约定，要求退还。", "退还违约金"),
        )
        callback(c, who, 1)
        reply(c, who, 10, text=REFUSAL)
        rate(c, 12, resolved=False, rating=1, mediation=True)
        if bank_index == 0:
            services.complaint_convert(
                actor=centre,
                complaint_id=c.pk,
                reason="投诉人申请调解，转调解",
                at=c.received_at + dt.timedelta(days=13),
            )
        # reopened after closing
        c, who = file(28, bank_index)
        reply(c, who, 5)
        rate(c, 6, rating=4)
        services.complaint_reopen(
            complaint_id=c.pk,
            phone=c.phone,
            reason="问题又出现了，请再处理",
            at=c.received_at + dt.timedelta(days=20),
        )
        # withdrawn
        c, _who = file(9, bank_index)
        services.complaint_withdraw(
            complaint_id=c.pk, phone=c.phone, reason="问题已自行解决", at=c.received_at + dt.timedelta(days=1)
        )
        # a paid agent's complaint, flagged for the handler, who reports the outfit to the registry
        c, who = file(rng.uniform(1, 5), bank_index, text=AGENT_TEXTS[bank_index])
        if c.scam_flagged:
            services.complaint_report_scam_lead(
                actor=who, complaint_id=c.pk, name="", note="投诉内容显示系收费代理维权"
            )

    swept = services.complaint_sweep(now=now)
    made.update({f"sweep_{k}": v for k, v in swept.items()})
    return made
