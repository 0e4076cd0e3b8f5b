"""First-overdue counseling: institutions flag borrowers (CSV, Excel or API), staff counsel them,
remind them of due dates, offer relief, and record whether they stayed current three months later."""

import csv
import datetime as dt
import io

import pytest

from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.credit import services
from jiefen.credit.models import CounselingTask
from jiefen.documents.render import render_xlsx
from jiefen.outreach.services import outbox_for_phone

from .conftest import at

D = dt.date
HEADER = ["姓名", "证件号码", "手机号", "业务条线", "账户/合同号", "首次逾期日", "逾期金额", "下一还款日"]


def csv_bytes(rows, encoding="utf-8-sig"):
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)


ROW = [
    "王建华",
    "350503199001011236",
    "13600136000",
    "信用卡",
    "6222****0001",
    "2026-03-01",
    "1,280.50",
    "2026-04-05",
]


def test_a_csv_in_gbk_becomes_counseling_tasks_and_bad_rows_are_reported(station):
    bad = ["李四", "", "12345", "信用卡", "6222****0002", "2026-03-01", "100", ""]
    dup = list(ROW)
    batch = services.counseling_import(
        actor=station.a_staff,
        institution_id=station.bank_a.pk,
        filename="首逾名单.csv",
        content=csv_bytes([ROW, bad, dup], "gb18030"),
        now=at(2026, 3, 4),
    )
    assert (batch.rows, batch.created, batch.skipped) == (3, 1, 1)
    assert batch.errors == [{"row": 3, "message": "手机号应为以1开头的11位数字"}]
    task = CounselingTask.objects.get()
    assert task.overdue_amount == 1280.50 and task.product_line == "credit_card"
    assert task.contact_due == D(2026, 3, 9)  # three working days
    assert task.phone == "13600136000" and task.masked_phone == "136****6000"


def test_an_xlsx_upload_works_too(station):
    content = render_xlsx({"名单": [HEADER, ROW]})
    batch = services.counseling_import(
        actor=station.a_staff, institution_id=station.bank_a.pk, filename="名单.xlsx", content=content
    )
    assert batch.created == 1 and not batch.errors


def test_missing_columns_and_other_banks_are_refused(station):
    with pytest.raises(ApplicationError, match="缺少列"):
        services.counseling_import(
            actor=station.a_staff,
            institution_id=station.bank_a.pk,
            filename="x.csv",
            content="姓名,手机号\n张三,13600136000\n".encode(),
        )
    with pytest.raises(PermissionDenied):
        services.counseling_import(
            actor=station.b_staff,
            institution_id=station.bank_a.pk,
            filename="x.csv",
            content=csv_bytes([ROW]),
        )
    with pytest.raises(ApplicationError, match="CSV"):
        services.counseling_import(
            actor=station.a_staff, institution_id=station.bank_a.pk, filename="x.doc", content=b"x"
        )


def test_the_api_flags_borrowers(station, client):
    client.force_login(station.a_staff)
    response = client.post(
        "/api/v1/credit/counseling/flags",
        {
            "institution": "BANK-A",
            "rows": [
                {
                    "borrower_name": "王建华",
                    "phone": "13600136000",
                    "product_line": "personal_loan",
                    "account_ref": "JK-9",
                    "first_overdue_on": "2026-03-01",
                    "overdue_amount": "800.00",
                }
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["created"] == 1
    client.force_login(station.b_staff)
    denied = client.post(
        "/api/v1/credit/counseling/flags",
        {
            "institution": "BANK-A",
            "rows": response.request
            and [
                {
                    "borrower_name": "x",
                    "phone": "13600136000",
                    "product_line": "personal_loan",
                    "account_ref": "1",
                    "first_overdue_on": "2026-03-01",
                    "overdue_amount": "1",
                }
            ],
        },
        content_type="application/json",
    )
    assert denied.status_code == 403


class TestCounselingDesk:
    @pytest.fixture
    def task(self, station):
        services.counseling_import(
            actor=station.a_staff,
            institution_id=station.bank_a.pk,
            filename="x.csv",
            content=csv_bytes([ROW]),
            now=at(2026, 3, 4),
        )
        return CounselingTask.objects.get()

    def test_contact_reminder_relief_offer_and_follow_up_three_months_later(
        self, station, task, django_capture_on_commit_callbacks
    ):
        services.counseling_contact(
            actor=station.a_staff,
            task_id=task.pk,
            channel="call",
            reached=True,
            reason="income_loss",
            note="工厂停工",
            now=at(2026, 3, 5),
        )
        task.refresh_from_db()
        assert (
            task.status == "contacted" and task.reason == "income_loss" and task.assignee == station.a_staff
        )
        services.counseling_remind(actor=station.a_staff, task_id=task.pk, now=at(2026, 3, 5))
        reminder = outbox_for_phone("13600136000", purpose="credit").get()
        assert "2026年04月05日" in reminder.text and "罚息" in reminder.text
        with pytest.raises(ApplicationError, match="脱困举措"):
            services.counseling_close(
                actor=station.a_staff, task_id=task.pk, outcome="relief", reason="income_loss", note="x"
            )
        with django_capture_on_commit_callbacks(execute=True):
            task = services.counseling_close(
                actor=station.a_staff,
                task_id=task.pk,
                outcome="relief",
                reason="income_loss",
                note="介绍个性化分期",
                measure_ids=[station.a_card_instalments.pk, station.b_loan_grace.pk],
                now=at(2026, 3, 6),
            )
        assert list(task.relief_measures.all()) == [
            station.a_card_instalments
        ]  # never another bank's measure
        assert task.followup_on == D(2026, 6, 8)  # 6 June 2026 is a Saturday
        assert (
            "甲行信用卡个性化分期"
            in outbox_for_phone("13600136000", purpose="credit").order_by("-id").first().text
        )
        with pytest.raises(ApplicationError, match="回访日"):
            services.counseling_followup(
                actor=station.a_staff, task_id=task.pk, still_current=True, now=at(2026, 6, 5)
            )
        task = services.counseling_followup(
            actor=station.a_staff, task_id=task.pk, still_current=True, now=at(2026, 6, 8)
        )
        assert task.status == "followed_up" and task.still_current is True

    def test_another_bank_cannot_work_the_task(self, station, task):
        with pytest.raises(NotFound):
            services.counseling_contact(actor=station.b_staff, task_id=task.pk, channel="call", reached=True)
        # The regulator reads every task but works none.
        with pytest.raises(PermissionDenied):
            services.counseling_contact(actor=station.viewer, task_id=task.pk, channel="call", reached=True)
