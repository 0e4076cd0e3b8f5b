"""The station's documents: the rights notice (告知单), the dispute reply letter and the repayment
agreement. Each is a list of blocks (jiefen.documents.render_docx's format), rendered to DOCX, to PDF
(templates/credit/docs/blocks.html) and, for agreements, to the plain text whose hash is signed.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from jiefen.common import clock
from jiefen.common.identifiers import mask_id
from jiefen.common.money import fmt

Blocks = list[tuple[str, object]]

ARTICLE_25 = "《征信业管理条例》第二十五条"


def _date(value) -> str:
    return f"{clock.local_date(value):%Y年%m月%d日}" if value else ""


# --- rights notice -------------------------------------------------------------------------------


def rights_notice_pdf(app) -> bytes:
    from jiefen.documents.render import render_pdf

    return render_pdf(
        "credit/docs/rights_notice.html",
        {"app": app, "center_name": settings.JIEFEN_CENTER_NAME, "hotline": settings.JIEFEN_HOTLINE},
    )


# --- reply letter --------------------------------------------------------------------------------


def reply_letter_blocks(dispute) -> Blocks:
    app = dispute.application
    rows = [["序号", "信息类别", "异议内容", "核查结果", "核查说明"]]
    for item in dispute.items.all():
        rows.append(
            [
                str(item.position),
                item.get_kind_display() + (f"（{item.account_ref}）" if item.account_ref else ""),
                item.description,
                item.get_outcome_display(),
                item.outcome_note,
            ]
        )
    annotation = {
        "removed": "经核查，异议标注已删除。",
        "recorded": "对无法核实的信息，我单位已记录核查情况和您的异议内容，该记录将在信用报告中展示。",
        "marked": "",
    }[dispute.annotation]
    return [
        ("h1", "征信异议处理答复函"),
        ("p", f"编号：{app.number}"),
        ("p", f"{app.party.name}："),
        (
            "p",
            f"您于{_date(dispute.received_at)}通过{settings.JIEFEN_CENTER_NAME}金融信用助航站提出的征信异议已收悉。"
            f"我单位于收到当日对异议信息添加了异议标注并进行了核查。根据{ARTICLE_25}，现书面答复如下：",
        ),
        ("table", rows),
        ("p", f"处理结果：{dispute.get_outcome_display()}。{annotation}"),
        ("p", dispute.reply_text),
        (
            "p",
            "如您对本答复有异议，可以向中国人民银行当地分支机构投诉，人民银行应当自受理之日起30日内书面答复；"
            "也可以直接向人民法院起诉（《征信业管理条例》第二十六条）。以上渠道均免费，"
            "任何收费“征信修复”“征信洗白”都是骗局。",
        ),
        ("kv", [("答复单位", dispute.institution.name), ("答复日期", _date(dispute.answered_at))]),
        ("sign", [dispute.institution.name]),
    ]


def reply_letter_docx(dispute) -> bytes:
    from jiefen.documents.render import render_docx

    return render_docx(reply_letter_blocks(dispute), title="征信异议处理答复函")


def reply_letter_pdf(dispute) -> bytes:
    from jiefen.documents.render import render_pdf

    return render_pdf(
        "credit/docs/blocks.html", {"title": "征信异议处理答复函", "blocks": reply_letter_blocks(dispute)}
    )


# --- agreement -----------------------------------------------------------------------------------


def agreement_blocks(agreement) -> Blocks:
    from .services import agreement_lines

    plan = agreement.plan
    app = plan.application
    party = app.party
    lines = agreement_lines(agreement)
    card = any(line.debt.product_line == "credit_card" for line in lines)
    debts = [["业务", "合同/卡号", "本金", "利息", "罚息及复利", "费用及违约金", "合计"]]
    for line in lines:
        d = line.debt
        debts.append(
            [
                d.get_product_line_display(),
                d.contract_ref or "—",
                fmt(d.principal),
                fmt(d.interest),
                fmt(d.penalty),
                fmt(d.fees),
                fmt(d.total),
            ]
        )
    measures = [["举措", "期数", "宽限期", "减免金额", "首付款", "年利率", "每期手续费", "还款总额"]]
    schedule = [["期次", "还款时间", "金额"]]
    for line in lines:
        m = line.measure
        measures.append(
            [
                f"{m.name}（{m.get_kind_display()}）",
                f"{line.months}期",
                f"{line.grace_months}个月" if line.grace_months else "—",
                fmt(line.waived),
                fmt(line.down_payment),
                f"{m.annual_rate_pct}%",
                f"{m.monthly_fee_pct}%",
                fmt(line.total_cost),
            ]
        )
        for n, amount in line.schedule:
            when = "协议生效当日" if int(n) == 0 else f"协议生效后第{n}个月的同日"
            schedule.append(
                [
                    f"{line.debt.get_product_line_display()} 第{n}期" if int(n) else "首付款",
                    when,
                    fmt(_d(amount)),
                ]
            )
    terms = [
        "一、乙方确认上表所列欠款余额、构成及币种（人民币），并承诺按还款计划按期足额还款。",
        "二、除上表所列利息和手续费外，协议期间不再计收年费、罚息、复利及其他费用；乙方未按约还款的，甲方可恢复按原合同主张权利。",
        "三、协议生效后，甲方停止对乙方的催收，但乙方未按约还款的除外。",
        "四、征信记录：协议生效后，甲方按还款进度逐期向金融信用信息基础数据库报送，信用报告上的逾期金额随每期还款逐期核减；"
        "全部还清后账户状态显示为结清。每期更新后，乙方可在调处中心平台确认或提出异议。",
    ]
    if card:
        terms.append(
            "五、乙方承诺在本协议项下欠款全部清偿前，不向任何银行申请新的信用卡（商业银行信用卡业务监督管理办法第七十条）。"
        )
    terms.append(
        ("六、" if card else "五、")
        + "乙方通过本人手机短信验证码签署本协议；平台记录签署时间、IP地址、验证码摘要和协议文本摘要，作为签署凭证。"
    )
    return [
        ("h1", "个性化还款协议"),
        ("kv", [("协议编号", agreement.number), ("申请编号", app.number)]),
        (
            "kv",
            [
                ("甲方（债权人）", agreement.institution.name),
                ("乙方（债务人）", party.name),
                ("乙方证件号码", mask_id(party.id_number)),
            ]
            + ([("法定代表人", party.legal_rep)] if party.legal_rep else []),
        ),
        (
            "p",
            "乙方因客观原因暂时还款困难且仍有还款意愿，经金融信用助航站推荐，双方在平等自愿基础上达成如下协议：",
        ),
        ("h2", "欠款情况"),
        ("table", debts),
        ("h2", "脱困举措"),
        ("table", measures),
        ("h2", "还款计划"),
        ("table", schedule),
        ("h2", "约定事项"),
        *[("p", t) for t in terms],
        ("sign", ["甲方", "乙方"]),
    ]


def _d(value):
    from decimal import Decimal

    return Decimal(str(value))


def blocks_text(blocks: Blocks) -> str:
    """The canonical text of a document: what the signature's hash covers."""
    out: list[str] = []
    for kind, value in blocks:
        if kind in {"h1", "h2", "p"}:
            out.append(str(value))
        elif kind in {"table", "kv"}:
            out.extend(" | ".join(str(c) for c in row) for row in value)  # type: ignore[union-attr]
        elif kind == "sign":
            out.append("签署：" + "、".join(value))  # type: ignore[arg-type]
    return "\n".join(out)


def agreement_text(agreement) -> str:
    return blocks_text(agreement_blocks(agreement))


def agreement_pdf(agreement) -> bytes:
    from jiefen.documents.render import render_pdf

    return render_pdf(
        "credit/docs/blocks.html",
        {"title": "个性化还款协议", "blocks": agreement_blocks(agreement), "agreement": agreement},
    )


def agreement_docx(agreement) -> bytes:
    from jiefen.documents.render import render_docx

    return render_docx(agreement_blocks(agreement), title="个性化还款协议")


def render_blocks_html(blocks: Blocks) -> str:
    return render_to_string("credit/_blocks.html", {"blocks": blocks})
