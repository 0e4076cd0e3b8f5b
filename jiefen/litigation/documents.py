"""Court documents as blocks (rendered by jiefen.mediation.documents.render), and the transfer package."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from django.conf import settings
from django.utils import timezone

from jiefen.common.money import fmt
from jiefen.evidence.services import evidence_read
from jiefen.mediation import documents as med_docs
from jiefen.mediation.selectors import mediation_for_case

PROVINCE_ABBR = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵",
    "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip


def court_code(court) -> str:
    """The court's prefix in case numbers, e.g. 闽0503 for a district court in Quanzhou."""
    region = court.region_code or ""
    if len(region) == 6 and region[:2] in PROVINCE_ABBR:
        return PROVINCE_ABBR[region[:2]] + region[2:]
    return court.short_name or court.name


def application_blocks(application) -> med_docs.Blocks:
    case, agreement = application.case, application.agreement
    what = "司法确认申请书" if application.route == "court" else "赋予强制执行效力公证申请书"
    return [
        ("h1", what),
        (
            "kv",
            [
                ("申请人一（债权人）", case.institution.name),
                ("申请人二（债务人）", f"{case.debtor.name}（证件号码 {case.debtor.masked_id}）"),
                ("受理机构", application.institution.name),
                ("调解协议", f"{agreement.number}（{agreement.effective_at:%Y年%m月%d日}生效）"),
                ("调解组织", settings.JIEFEN_CENTER_NAME),
            ],
        ),
        ("h2", "请求事项"),
        (
            "p",
            f"请求确认申请人于{agreement.effective_at:%Y年%m月%d日}经{settings.JIEFEN_CENTER_NAME}主持达成的调解协议"
            f"（编号{agreement.number}，约定债务人偿还{fmt(agreement.total)}）有效。"
            if application.route == "court"
            else f"请求对调解协议（编号{agreement.number}）约定的{fmt(agreement.total)}债务办理具有强制执行效力的债权文书公证。",
        ),
        ("h2", "事实与理由"),
        (
            "p",
            "申请人之间的金融借款合同纠纷经调解员主持调解，双方自愿达成调解协议。协议内容不违反法律、行政法规的强制性规定，"
            "不损害国家利益、社会公共利益和他人合法权益。双方出于解决纠纷的目的自愿达成协议，没有恶意串通、规避法律的行为；"
            "如因虚假调解给他人造成损失，愿意承担相应的民事责任和其他法律责任。"
            + (
                "现依照《中华人民共和国民事诉讼法》第二百零五条共同申请司法确认。"
                if application.route == "court"
                else ""
            ),
        ),
        (
            "p",
            f"附：调解协议书（SHA-256：{agreement.document_hash}）、调解组织主持调解的证明、双方身份证明。",
        ),
        ("sign", ["申请人一", "申请人二"]),
    ]


def ruling_blocks(application) -> med_docs.Blocks:
    case, agreement = application.case, application.agreement
    if application.route != "court":
        return [
            ("h1", "公证书（具有强制执行效力的债权文书）"),
            ("p", application.ruling_number),
            (
                "p",
                f"兹证明{case.institution.name}与{case.debtor.name}于{agreement.effective_at:%Y年%m月%d日}签订的调解协议"
                f"（编号{agreement.number}）约定债务人偿还{fmt(agreement.total)}，双方同意债务人不履行或不适当履行时，"
                "债权人可以依法向有管辖权的人民法院申请执行。",
            ),
            ("sign", [application.institution.name]),
        ]
    return [
        ("h1", application.institution.name),
        ("h1", "民事裁定书"),
        ("p", application.ruling_number),
        (
            "kv",
            [
                ("申请人", case.institution.name),
                ("申请人", f"{case.debtor.name}（证件号码 {case.debtor.masked_id}）"),
            ],
        ),
        (
            "p",
            f"本院于{application.accepted_at:%Y年%m月%d日}受理了申请人{case.institution.name}与{case.debtor.name}"
            "申请司法确认调解协议一案。本案现已审查终结。",
        ),
        (
            "p",
            f"申请人于{agreement.effective_at:%Y年%m月%d日}经{settings.JIEFEN_CENTER_NAME}主持调解，达成如下调解协议："
            f"债务人偿还{fmt(agreement.total)}（{agreement.get_kind_display()}，末期还款日"
            f"{agreement.instalments.order_by('-seq').first().due_on:%Y年%m月%d日}），并约定了征信报送与违约责任等事项。",
        ),
        (
            "p",
            "本院经审查认为，申请人达成的调解协议符合司法确认调解协议的法定条件。依照《中华人民共和国民事诉讼法》"
            "第二百零五条、第二百零六条规定，裁定如下：",
        ),
        (
            "p",
            f"申请人{case.institution.name}与{case.debtor.name}于{agreement.effective_at:%Y年%m月%d日}达成的调解协议有效。",
        ),
        (
            "p",
            "当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请执行。",
        ),
        (
            "p",
            f"审判员 {application.decided_by or ''}    {timezone.localtime(application.decided_at):%Y年%m月%d日}",
        ),
    ]


def complaint_blocks(case, transfer) -> med_docs.Blocks:
    return [
        ("h1", "民事起诉状" if transfer.route == "court" else "仲裁申请书"),
        (
            "kv",
            [
                ("原告（申请人）", case.institution.name),
                ("被告（被申请人）", f"{case.debtor.name}，证件号码 {case.debtor.id_number or '—'}"),
                ("联系电话", "、".join(p.number for p in case.debtor.phones.filter(is_valid=True)) or "—"),
                ("合同编号", case.contract_no),
                ("产品类型", case.get_product_type_display()),
                ("逾期起始日", f"{case.overdue_since:%Y-%m-%d}" if case.overdue_since else "—"),
            ],
        ),
        ("h2", "诉讼请求"),
        (
            "table",
            [
                ["项目", "金额（元）"],
                ["本金", fmt(case.principal)],
                ["利息", fmt(case.interest)],
                ["罚息", fmt(case.penalty_interest)],
                ["复利", fmt(case.compound_interest)],
                ["费用及违约金", fmt(case.fees)],
                ["合计", fmt(case.claim_total)],
            ],
        ),
        ("h2", "事实与理由"),
        (
            "p",
            f"被告向原告借款/透支未按约偿还。本案经{settings.JIEFEN_CENTER_NAME}诉前调解，调解不成：{transfer.reason}",
        ),
        ("p", f"小额诉讼评估：{transfer.small_claims_text}"),
        ("sign", ["原告（申请人）"]),
    ]


def build_package(case, transfer, *, complaint_format: str = "docx") -> tuple[bytes, dict]:
    """The case file for the court or arbitration commission, as one ZIP with a manifest of hashes."""
    mediation = mediation_for_case(case)
    files: dict[str, bytes] = {}
    data = {
        "案件编号": case.number,
        "债权机构": {"名称": case.institution.name, "代码": case.institution.code},
        "债务人": {
            "姓名/名称": case.debtor.name,
            "类型": case.debtor.get_kind_display(),
            "证件号码": case.debtor.id_number,
            "电话": [p.number for p in case.debtor.phones.filter(is_valid=True)],
        },
        "合同编号": case.contract_no,
        "产品类型": case.get_product_type_display(),
        "诉请": {
            "本金": str(case.principal),
            "利息": str(case.interest),
            "罚息": str(case.penalty_interest),
            "复利": str(case.compound_interest),
            "费用及违约金": str(case.fees),
            "合计": str(case.claim_total),
        },
        "移送去向": f"{transfer.get_route_display()} · {transfer.institution.name}",
        "调解不成原因": transfer.reason,
        "小额诉讼": {"结论": transfer.get_small_claims_display(), "说明": transfer.small_claims_text},
        "调解员": str(case.mediator or ""),
        "生成时间": timezone.now().isoformat(),
    }
    files["案件信息.json"] = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    title = "起诉状" if transfer.route == "court" else "仲裁申请书"
    files[f"{title}.{complaint_format}"] = med_docs.render(
        complaint_blocks(case, transfer), title=title, fmt_=complaint_format
    )
    files["调解记录.txt"] = med_docs.render(med_docs.record_blocks(mediation), title="调解记录", fmt_="txt")
    listing = io.StringIO()
    writer = csv.writer(listing)
    writer.writerow(["序号", "文件", "提交方", "提交时间", "大小（字节）", "SHA-256", "存证序号"])
    for n, ev in enumerate(case.evidence_files.select_related("ledger_entry", "document"), start=1):
        name = f"证据/{n:02d}-{ev.filename}"
        files[name] = evidence_read(ev)
        writer.writerow(
            [
                n,
                ev.filename,
                ev.get_side_display(),
                f"{ev.created_at:%Y-%m-%d %H:%M}",
                ev.size,
                ev.sha256,
                ev.ledger_entry.seq,
            ]
        )
    files["证据清单.csv"] = ("\ufeff" + listing.getvalue()).encode("utf-8")
    from jiefen.evidence.chain import sha256_bytes

    manifest = {name: {"sha256": sha256_bytes(body), "size": len(body)} for name, body in files.items()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, body in files.items():
            zf.writestr(name, body)
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return buf.getvalue(), manifest
