"""The mediation's documents as blocks: one source for the DOCX (jiefen.documents.render_docx), the PDF
(templates/mediation/docs/blocks.html through render_pdf) and a plain-text copy.

The standard clauses are the centre's wording (ClauseTemplate, editable in the admin) with the
defaults below; the numbers in them come from the agreement and from the rules table.
"""

from __future__ import annotations

from django.conf import settings

from jiefen.common import rules
from jiefen.common.money import fmt

from .plan import PlanKind

Blocks = list[tuple[str, object]]

DEFAULT_CLAUSES = {
    "preamble": (
        "申请人（债权人）{creditor}与被申请人（债务人）{debtor}金融借款合同纠纷一案，经{center}委派调解员"
        "主持调解，双方在平等自愿、协商一致的基础上，达成如下协议："
    ),
    "credit_report": (
        "征信报送：本协议生效前已依法报送的逾期记录如实保留。本协议生效后，该笔债务在个人信用报告中仍以原账户显示，"
        "并由{creditor}按本协议约定的还款安排报送：债务人每期按时足额还款的，{creditor}在还款之日起{update_days}日内"
        "报送该期还款记录，账户余额相应减少、当期显示为正常还款；全部款项还清后，账户状态更新为“结清”，原逾期记录"
        "自结清之日起保留5年后不再展示（征信业管理条例第16条）。债务人未按约还款的，{creditor}将如实报送逾期信息。"
        "债务人对报送的信息有异议的，可以向{creditor}或征信中心提出异议，应在收到异议之日起20日内书面答复"
        "（征信业管理条例第25条）。"
    ),
    "performance": (
        "债务人可以提前偿还全部或部分款项，提前还款不收取任何费用。本协议履行期间，{creditor}不再计收利息、罚息、"
        "复利、年费及其他费用，并停止对债务人的催收；债务人违约的除外。{card_promise}"
    ),
    "default": (
        "债务人任何一期未按约足额还款，且逾期超过{grace_days}日的，视为违约：{creditor}有权就全部未还款项"
        "（已减免部分恢复计收）申请强制执行或提起诉讼。"
    ),
    "confirmation": (
        "双方同意自本协议生效之日起30日内共同向人民法院申请司法确认（民事诉讼法第205条）；经确认有效的，"
        "一方拒绝履行或者未全部履行的，对方可以申请强制执行。"
    ),
    "closing": (
        "本协议经双方以短信验证码电子签署后生效，签署文本的SHA-256指纹已记入存证账本，可在“文书核验”页面核对。"
        "协议编号{number}。"
    ),
}

NUMERALS = "〇一二三四五六七八九十"
CARD_PROMISE = "债务人承诺在本协议约定款项全部还清前，不向任何银行申请新的信用卡（商业银行信用卡业务监督管理办法第70条）。"


class _Safe(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def clause_texts() -> dict[str, str]:
    """The centre's wording where it set one, else the default."""
    from .models import ClauseTemplate

    return {**DEFAULT_CLAUSES, **dict(ClauseTemplate.objects.values_list("key", "text"))}


def clause(key: str, values: dict, texts: dict[str, str] | None = None) -> str:
    return (texts or clause_texts())[key].format_map(_Safe(values))


def agreement_clauses(
    case, agreement=None, *, number: str = "", grace_days: int | None = None
) -> dict[str, str]:
    values = clause_values(case, agreement, number=number, grace_days=grace_days)
    texts = clause_texts()
    return {key: clause(key, values, texts) for key in DEFAULT_CLAUSES}


def clause_values(case, agreement=None, *, number: str = "", grace_days: int | None = None) -> dict:
    card = case.product_type == "credit_card"
    return {
        "creditor": case.institution.name,
        "debtor": case.debtor.name,
        "center": settings.JIEFEN_CENTER_NAME,
        "update_days": rules.amount("credit.reporting_update"),
        "card_promise": CARD_PROMISE if card else "",
        "number": number or (agreement.number if agreement else ""),
        "grace_days": grace_days if grace_days is not None else (agreement.grace_days if agreement else ""),
        "total": fmt(agreement.total) if agreement else "",
    }


def agreement_blocks(agreement) -> Blocks:
    case = agreement.case
    worded = agreement.clauses or agreement_clauses(case, agreement)
    instalments = list(agreement.instalments.all())
    blocks: Blocks = [
        ("h1", "调解协议书"),
        ("p", f"编号：{agreement.number}    案件：{case.number}"),
        (
            "kv",
            [
                ("申请人（债权人）", case.institution.name),
                ("被申请人（债务人）", f"{case.debtor.name}（证件号码 {case.debtor.masked_id}）"),
                ("合同编号", case.contract_no),
                ("调解员", str(case.mediator or "—")),
            ],
        ),
        ("p", worded["preamble"]),
        ("h2", "一、债务确认"),
        (
            "table",
            [
                ["项目", "原欠金额（元）", "减免金额（元）", "协议金额（元）"],
                ["本金", fmt(agreement.principal), fmt(0), fmt(agreement.principal)],
                ["利息", fmt(agreement.interest), fmt(0), fmt(agreement.interest)],
                [
                    "罚息",
                    fmt(agreement.penalty_interest),
                    fmt(agreement.waived_penalty),
                    fmt(agreement.penalty_interest - agreement.waived_penalty),
                ],
                [
                    "复利",
                    fmt(agreement.compound_interest),
                    fmt(agreement.waived_compound),
                    fmt(agreement.compound_interest - agreement.waived_compound),
                ],
                [
                    "费用及违约金",
                    fmt(agreement.fees),
                    fmt(agreement.waived_fees),
                    fmt(agreement.fees - agreement.waived_fees),
                ],
                ["合计", fmt(agreement.claim_total), fmt(agreement.saving), fmt(agreement.total)],
            ],
        ),
        (
            "p",
            f"债务人确认截至本协议签订之日尚欠{fmt(agreement.claim_total)}。按{case.institution.name}的减免政策，"
            f"减免罚息{fmt(agreement.waived_penalty)}、复利{fmt(agreement.waived_compound)}、费用{fmt(agreement.waived_fees)}，"
            f"共计减免{fmt(agreement.saving)}；债务人应还{fmt(agreement.total)}。",
        ),
        ("h2", f"二、还款安排（{agreement.get_kind_display()}）"),
    ]
    if agreement.kind == PlanKind.INSTALMENTS:
        blocks.append(
            (
                "p",
                f"债务人分{len(instalments)}期偿还，每月一期，首期还款日{instalments[0].due_on:%Y年%m月%d日}，"
                f"末期还款日{instalments[-1].due_on:%Y年%m月%d日}。还款日遇法定节假日顺延至其后第一个工作日。",
            )
        )
    else:
        blocks.append(
            ("p", f"债务人于{instalments[0].due_on:%Y年%m月%d日}前一次性偿还{fmt(agreement.total)}。")
        )
    blocks.append(
        (
            "table",
            [["期次", "还款日", "金额（元）"]]
            + [[str(i.seq), f"{i.due_on:%Y-%m-%d}", fmt(i.amount)] for i in instalments],
        )
    )
    blocks.append(("p", f"期限依据：{agreement.limit_text}；最长不超过{agreement.limit_date:%Y年%m月%d日}。"))
    sections = [
        ("征信报送", worded["credit_report"]),
        ("履行", worded["performance"]),
        ("违约责任", worded["default"]),
    ]
    if agreement.joint_confirmation:
        sections.append(("司法确认", worded["confirmation"]))
    if agreement.extra_terms.strip():
        sections.append(("其他约定", agreement.extra_terms.strip()))
    for n, (heading, text) in enumerate(sections, start=3):
        blocks += [("h2", f"{NUMERALS[n]}、{heading}"), ("p", text)]
    blocks += [("p", worded["closing"]), ("sign", ["债权人", "债务人", "调解员"])]
    return blocks


def record_blocks(mediation, *, transcript_limit: int = 200) -> Blocks:
    """调解记录: who, when, sessions and their minutes, the exchanged evidence, the outcome."""
    case = mediation.case
    blocks: Blocks = [
        ("h1", "调解记录"),
        (
            "kv",
            [
                ("案件编号", case.number),
                ("申请人（债权人）", case.institution.name),
                ("被申请人（债务人）", case.debtor.name),
                ("调解员", str(mediation.mediator or case.mediator or "—")),
                ("接受委派", f"{mediation.accepted_at:%Y-%m-%d %H:%M}" if mediation.accepted_at else "—"),
                ("调解期限", f"{mediation.period_due:%Y-%m-%d}" if mediation.period_due else "—"),
                ("调解结果", case.get_status_display()),
            ],
        ),
    ]
    sessions = list(mediation.sessions.all())
    if sessions:
        blocks.append(("h2", "调解会议"))
        for s in sessions:
            where = s.video_url if s.mode == "online" else s.location
            blocks.append(
                (
                    "p",
                    f"{s.starts_at:%Y-%m-%d %H:%M} {s.get_mode_display()}（{where}）· {s.get_state_display()}",
                )
            )
            if s.minutes:
                blocks.append(("p", "记录：" + s.minutes))
    files = list(case.evidence_files.all())
    if files:
        blocks.append(("h2", "证据交换"))
        blocks.append(
            (
                "table",
                [["文件", "提交方", "时间", "SHA-256"]]
                + [
                    [f.filename, f.get_side_display(), f"{f.created_at:%Y-%m-%d %H:%M}", f.sha256]
                    for f in files
                ],
            )
        )
    extensions = list(mediation.extensions.all())
    for e in extensions:
        blocks.append(
            (
                "p",
                f"延长调解期限 {e.days} 日至 {e.new_due:%Y-%m-%d}：{e.reason}（债权人：{e.creditor_consent}；债务人：{e.debtor_consent}）",
            )
        )
    if mediation.failure_reason:
        blocks += [("h2", "调解不成原因"), ("p", mediation.failure_reason)]
    messages = list(mediation.messages.order_by("-id")[:transcript_limit])[::-1]
    if messages:
        blocks.append(("h2", "调解室记录"))
        for m in messages:
            blocks.append(("p", f"[{m.created_at:%m-%d %H:%M}] {m.author_label}：{m.body}"))
    blocks.append(("sign", ["调解员"]))
    return blocks


def as_text(blocks: Blocks) -> str:
    lines: list[str] = []
    for kind, value in blocks:
        if kind in {"h1", "h2", "p"}:
            lines.append(str(value))
        elif kind == "kv":
            lines += [f"{k}：{v}" for k, v in value]  # type: ignore[union-attr]
        elif kind == "table":
            lines += ["\t".join(str(c) for c in row) for row in value]  # type: ignore[union-attr]
        elif kind == "sign":
            lines += [f"{label}（签字/盖章）：" for label in value]  # type: ignore[union-attr]
        lines.append("")
    return "\n".join(lines)


CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain; charset=utf-8",
}


def render(blocks: Blocks, *, title: str, fmt_: str) -> bytes:
    from jiefen.documents.render import render_docx, render_pdf

    if fmt_ == "pdf":
        return render_pdf("mediation/docs/blocks.html", {"blocks": blocks, "title": title})
    if fmt_ == "docx":
        return render_docx(blocks, title=title)
    if fmt_ == "txt":
        return as_text(blocks).encode("utf-8")
    raise ValueError(f"unknown format {fmt_!r}")


def best_format() -> str:
    from jiefen.documents.render import pdf_available

    return "pdf" if pdf_available() else "docx"
