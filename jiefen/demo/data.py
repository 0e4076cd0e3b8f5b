"""Demo data: the centre, its member institutions, one user per role and ~500 cases at every stage.

Cases are walked through the real services (case_create, case_transition), so their timelines and
deadlines are exactly what the platform would have produced.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from jiefen.accounts.models import User
from jiefen.cases.machine import Status
from jiefen.cases.models import Case, ProductType
from jiefen.cases.services import case_assign, case_create, case_transition
from jiefen.orgs.models import Branch, Institution, Membership, Region
from jiefen.orgs.roles import Role

from .fake import QUANZHOU_REGIONS, company_name, id_number, mobile, person_name, uscc_number

K = Institution.Kind

INSTITUTIONS = [
    ("QZ-CENTER", "泉州市金融纠纷一体化调处中心", "调处中心", K.CENTER, "350500"),
    ("ICBC-QZ", "中国工商银行股份有限公司泉州分行", "工商银行", K.BANK, "350500"),
    ("ABC-QZ", "中国农业银行股份有限公司泉州分行", "农业银行", K.BANK, "350500"),
    ("BOC-QZ", "中国银行股份有限公司泉州分行", "中国银行", K.BANK, "350500"),
    ("CCB-QZ", "中国建设银行股份有限公司泉州分行", "建设银行", K.BANK, "350500"),
    ("QZBANK", "泉州银行股份有限公司", "泉州银行", K.BANK, "350500"),
    ("CIB-QZ", "兴业银行股份有限公司泉州分行", "兴业银行", K.BANK, "350500"),
    ("XJCF", "厦门金美信消费金融有限责任公司泉州业务部", "金美信消金", K.LENDER, "350500"),
    ("COURT-FZ", "泉州市丰泽区人民法院", "丰泽法院", K.COURT, "350503"),
    ("COURT-QZ", "福建省泉州市中级人民法院", "泉州中院", K.COURT, "350500"),
    ("PBC-QZ", "中国人民银行泉州市分行", "人行泉州分行", K.PBC, "350500"),
    ("NFRA-QZ", "国家金融监督管理总局泉州监管分局", "泉州金融监管分局", K.REGULATOR, "350500"),
    ("MED-QZ", "泉州市金融纠纷人民调解委员会", "金融调委会", K.MEDIATION_ORG, "350500"),
    ("ARB-QZ", "泉州仲裁委员会", "泉州仲裁委", K.ARBITRATION, "350500"),
    ("NOTARY-QZ", "福建省泉州市鲤城公证处", "鲤城公证处", K.NOTARY, "350502"),
]

BRANCH_AREAS = ["350503", "350582", "350581", "350583", "350502"]

DEMO_USERS = [
    {
        "username": "center_admin",
        "label": "调处中心管理员（可进入系统配置）",
        "name": "林主任",
        "inst": "QZ-CENTER",
        "role": Role.CENTER_ADMIN,
    },
    {
        "username": "center_staff",
        "label": "调处中心工作人员",
        "name": "黄干事",
        "inst": "QZ-CENTER",
        "role": Role.CENTER_STAFF,
    },
    {
        "username": "bank_a_staff",
        "label": "工商银行处置人员",
        "name": "陈晓东",
        "inst": "ICBC-QZ",
        "role": Role.DISPOSAL_STAFF,
    },
    {
        "username": "bank_a_manager",
        "label": "工商银行负责人（行长）",
        "name": "王行长",
        "inst": "ICBC-QZ",
        "role": Role.INST_MANAGER,
    },
    {
        "username": "bank_a_liaison",
        "label": "工商银行异议联络专员",
        "name": "郑雅婷",
        "inst": "ICBC-QZ",
        "role": Role.DISPUTE_LIAISON,
    },
    {
        "username": "bank_a_complaints",
        "label": "工商银行投诉处理人员",
        "name": "苏文辉",
        "inst": "ICBC-QZ",
        "role": Role.COMPLAINT_HANDLER,
    },
    {
        "username": "bank_b_staff",
        "label": "农业银行处置人员",
        "name": "吴佳怡",
        "inst": "ABC-QZ",
        "role": Role.DISPOSAL_STAFF,
    },
    {
        "username": "bank_b_manager",
        "label": "农业银行负责人（行长）",
        "name": "刘行长",
        "inst": "ABC-QZ",
        "role": Role.INST_MANAGER,
    },
    {
        "username": "mediator",
        "label": "特邀调解员（金融调委会）",
        "name": "庄振华",
        "inst": "MED-QZ",
        "role": Role.MEDIATOR,
    },
    {
        "username": "mediator2",
        "label": "特邀调解员（金融调委会）",
        "name": "蔡秋菊",
        "inst": "MED-QZ",
        "role": Role.MEDIATOR,
    },
    {
        "username": "judge",
        "label": "对接法官（丰泽法院）",
        "name": "许法官",
        "inst": "COURT-FZ",
        "role": Role.JUDGE,
    },
    {
        "username": "pbc_officer",
        "label": "人民银行征信人员",
        "name": "洪科长",
        "inst": "PBC-QZ",
        "role": Role.PBC_OFFICER,
    },
    {
        "username": "viewer",
        "label": "只读查看（金融监管分局）",
        "name": "郭处长",
        "inst": "NFRA-QZ",
        "role": Role.VIEWER,
    },
]

# Paths through the closed loop; the case ends in the status reached by the last action.
PATHS: list[tuple[int, list[str]]] = [
    (30, []),
    (120, ["triage_simple"]),
    (70, ["triage_simple", "settle_paid"]),
    (15, ["triage_simple", "plan_agreed"]),
    (20, ["triage_simple", "plan_agreed", "start_performance"]),
    (10, ["triage_simple", "withdraw"]),
    (35, ["triage_complex"]),
    (25, ["triage_complex", "@mediator", "start_mediation"]),
    (12, ["triage_complex", "@mediator", "start_mediation", "mediation_agreed"]),
    (
        10,
        [
            "triage_simple",
            "handover_mediation",
            "@mediator",
            "start_mediation",
            "mediation_agreed",
            "request_confirmation",
        ],
    ),
    (
        8,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_agreed",
            "request_confirmation",
            "confirm",
        ],
    ),
    (
        25,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_agreed",
            "request_confirmation",
            "confirm",
            "start_performance",
        ],
    ),
    (
        20,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_agreed",
            "start_performance",
            "plan_completed",
        ],
    ),
    (
        8,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_agreed",
            "request_confirmation",
            "confirm",
            "start_performance",
            "plan_default",
        ],
    ),
    (12, ["triage_complex", "@mediator", "start_mediation", "mediation_fail"]),
    (15, ["triage_complex", "@mediator", "start_mediation", "mediation_fail", "transfer_litigation"]),
    (10, ["triage_simple", "handover_litigation"]),
    (
        10,
        ["triage_complex", "@mediator", "start_mediation", "mediation_fail", "transfer_litigation", "judge"],
    ),
    (
        8,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_fail",
            "transfer_litigation",
            "judge",
            "apply_enforcement",
        ],
    ),
    (
        6,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_agreed",
            "request_confirmation",
            "confirm",
            "start_performance",
            "plan_default",
            "apply_enforcement",
        ],
    ),
    (
        6,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_fail",
            "transfer_litigation",
            "judge",
            "apply_enforcement",
            "close_enforcement",
        ],
    ),
    (
        5,
        [
            "triage_complex",
            "@mediator",
            "start_mediation",
            "mediation_fail",
            "transfer_litigation",
            "judge",
            "close_judged",
        ],
    ),
]

REASONS = {
    "triage_simple": "金额较小、事实清楚，分流机构集中处置",
    "triage_complex": "金额较大或涉诉涉访，分流调解",
    "settle_paid": "债务人已一次性结清欠款",
    "plan_agreed": "与债务人协商一致分期还款",
    "withdraw": "机构撤回：已与债务人自行和解",
    "handover_mediation": "多次沟通未果，移送调解",
    "handover_litigation": "债务人明确拒绝还款，移送诉讼",
    "start_mediation": "已签收案件材料，开始调解",
    "mediation_agreed": "双方达成调解协议",
    "mediation_fail": "债务人不同意任何还款方案",
    "request_confirmation": "双方共同申请司法确认",
    "confirm": "经审查协议合法有效，裁定确认",
    "start_performance": "协议生效，开始按期还款",
    "plan_completed": "全部分期已还清",
    "plan_default": "连续两期未按约还款",
    "transfer_litigation": "调解不成，一键移送诉讼",
    "judge": "判决被告偿还本金及利息",
    "apply_enforcement": "被执行人未履行，申请强制执行",
    "close_enforcement": "执行完毕",
    "close_judged": "被告已自动履行判决",
}

ACTOR_FOR = {
    "triage_simple": "center_staff",
    "triage_complex": "center_staff",
    "start_mediation": "@mediator",
    "mediation_agreed": "@mediator",
    "mediation_fail": "@mediator",
    "confirm": "judge",
    "judge": "judge",
    "close_enforcement": "judge",
}

PRODUCT_WEIGHTS = [
    (ProductType.CREDIT_CARD, 45),
    (ProductType.SMALL_LOAN, 15),
    (ProductType.SME_LOAN, 10),
    (ProductType.BUSINESS_LOAN, 12),
    (ProductType.CONSUMER_LOAN, 15),
    (ProductType.OTHER, 3),
]


# Order matters: later capabilities may build on earlier ones' demo rows.
CAPABILITY_DEMOS = [
    "disposal",
    "mediation",
    "litigation",
    "credit",
    "complaints",
    "education",
    "assistant",
    "stats",
]


def _seed_orgs() -> dict[str, Institution]:
    for code, name in {**QUANZHOU_REGIONS, "350500": "泉州市"}.items():
        Region.objects.get_or_create(code=code, defaults={"name": name})
    insts = {}
    for code, name, short, kind, region in INSTITUTIONS:
        inst, _ = Institution.objects.get_or_create(
            code=code, defaults={"name": name, "short_name": short, "kind": kind, "region_code": region}
        )
        insts[code] = inst
        if inst.is_creditor:
            for n, area in enumerate(BRANCH_AREAS[:3] if kind == K.BANK else BRANCH_AREAS[:1], start=1):
                Branch.objects.get_or_create(
                    institution=inst,
                    code=f"{code}-{n:02d}",
                    defaults={
                        "name": f"{short}{QUANZHOU_REGIONS.get(area, '泉州')}支行",
                        "region_code": area,
                    },
                )
    return insts


def _seed_users(insts, password: str) -> dict[str, User]:
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec["username"], defaults={"display_name": spec["name"]}
        )
        if created:
            user.set_password(password)
            if spec["role"] == Role.CENTER_ADMIN:
                user.is_staff = user.is_superuser = True
            user.save()
        Membership.objects.get_or_create(user=user, institution=insts[spec["inst"]], role=spec["role"])
        users[spec["username"]] = user
    return users


def _weighted(rng: random.Random, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _claim(rng: random.Random, product: str) -> dict[str, Decimal]:
    scale = {
        "credit_card": (3_000, 80_000),
        "small_loan": (5_000, 100_000),
        "sme_loan": (100_000, 3_000_000),
        "business_loan": (50_000, 1_000_000),
        "consumer_loan": (2_000, 60_000),
        "other": (1_000, 50_000),
    }[product]
    principal = Decimal(rng.randrange(*scale)) + Decimal(rng.randrange(0, 100)) / 100
    pct = lambda lo, hi: (principal * Decimal(rng.uniform(lo, hi))).quantize(Decimal("0.01"))  # noqa: E731
    return {
        "principal": principal,
        "interest": pct(0.02, 0.12),
        "penalty_interest": pct(0.0, 0.06),
        "compound_interest": pct(0.0, 0.02),
        "fees": pct(0.0, 0.01) if product == "credit_card" else Decimal("0"),
    }


def load(*, cases: int = 500, seed: int = 20261122, password: str = "jiefen-demo") -> dict[str, int]:  # noqa: S107
    """Load the demo into an empty database. Returns what was created; does nothing if cases exist."""
    if Case.objects.exists():
        return {"cases": 0}
    rng = random.Random(seed)
    with transaction.atomic():
        insts = _seed_orgs()
        users = _seed_users(insts, password)
    creditors = [i for i in insts.values() if i.is_creditor]
    staff_by_inst = {insts["ICBC-QZ"].pk: users["bank_a_staff"], insts["ABC-QZ"].pk: users["bank_b_staff"]}
    court = insts["COURT-FZ"]
    mediators = [users["mediator"], users["mediator2"]]
    now = timezone.now()
    paths = [p for _, p in PATHS]
    weights = [w for w, _ in PATHS]
    made = 0
    for n in range(cases):
        # The two demo banks get most cases, so their logins show a full desk.
        inst = rng.choices(
            creditors, weights=[30 if i.code in {"ICBC-QZ", "ABC-QZ"} else 8 for i in creditors]
        )[0]
        branch = rng.choice(list(inst.branches.all()))
        product = _weighted(rng, PRODUCT_WEIGHTS)
        enterprise = product == "sme_loan" or (product == "business_loan" and rng.random() < 0.3)
        path = rng.choices(paths, weights=weights)[0]
        steps = len([a for a in path if not a.startswith("@")])
        # Older cases have gone further; the last step lands in the recent past.
        created = now - dt.timedelta(
            days=rng.randint(3 + 12 * steps, 20 + 25 * steps), hours=rng.randint(0, 10)
        )
        bank_actor = staff_by_inst.get(inst.pk) or users["center_staff"]
        with transaction.atomic():
            case = case_create(
                actor=None,
                institution=inst,
                branch=branch,
                debtor_kind="enterprise" if enterprise else "individual",
                debtor_name=company_name(rng) if enterprise else person_name(rng),
                debtor_id_number=uscc_number(rng) if enterprise else id_number(rng),
                debtor_phones=[]
                if rng.random() < 0.07
                else [mobile(rng)] + ([mobile(rng)] if rng.random() < 0.2 else []),
                product_type=product,
                contract_no=f"{inst.code}-{created:%Y}-{n + 1:06d}",
                claim=_claim(rng, product),
                overdue_since=(created - dt.timedelta(days=rng.randint(30, 400))).date(),
                flags={
                    "involves_litigation": rng.random() < 0.05,
                    "involves_petition": rng.random() < 0.03,
                    "prior_negotiation_failed": rng.random() < 0.1,
                    "vulnerable": rng.random() < 0.04,
                },
                reason="机构批量推送",
                at=created,
            )
            at = created
            mediator = rng.choice(mediators)
            for action in path:
                at = min(
                    at + dt.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 6)),
                    now - dt.timedelta(minutes=5),
                )
                if action == "@mediator":
                    case_assign(
                        actor=users["center_admin"],
                        case_id=case.pk,
                        mediator=mediator,
                        reason="按专长与案件量推荐指定",
                    )
                    continue
                who = ACTOR_FOR.get(action, "bank")
                actor = (
                    mediator
                    if who == "@mediator"
                    else users.get(who, bank_actor)
                    if who != "bank"
                    else bank_actor
                )
                case_transition(
                    actor=actor, case_id=case.pk, action=action, reason=REASONS[action], court=court, at=at
                )
            if case.status == Status.DISPOSAL and inst.pk in staff_by_inst and rng.random() < 0.6:
                case_assign(
                    actor=users["center_admin"],
                    case_id=case.pk,
                    assignee=staff_by_inst[inst.pk],
                    reason="分配经办人",
                )
        made += 1
    # Each capability adds its own demo on top (jiefen/<app>/demo.py, function load(ctx)).
    ctx = {"institutions": insts, "users": users, "rng": rng, "now": now, "password": password}
    extra = {}
    for app in CAPABILITY_DEMOS:
        try:
            module = import_module(f"jiefen.{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"jiefen.{app}.demo":
                raise
            continue
        extra[app] = module.load(ctx)
    return {"cases": made, "institutions": len(insts), "users": len(users), **extra}
