"""Fixtures of the disposal tests: uploads in a temporary directory, a clock fixed in office hours,
SMS templates, and messy bank files written on the fly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest

from jiefen.common.clock import SHANGHAI
from jiefen.demo.fake import id_number, mobile, person_name, uscc_number
from jiefen.outreach import compliance
from jiefen.outreach.models import SmsTemplate


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def local(hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    today = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=days)
    return dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def office_hours():
    """The conduct rules depend on the hour: tests run at 10:00 Beijing time unless they say otherwise."""
    with compliance.use_clock(local(10)):
        yield local(10)


@pytest.fixture
def templates(db):
    return {
        "reminder": SmsTemplate.objects.create(
            code="reminder",
            name="逾期提醒",
            body="{name}您好，您在{institution}的欠款{amount}已逾期，请于{deadline}前联系{hotline}。回复TD退订",
        ),
        "third": SmsTemplate.objects.create(
            code="third-party",
            name="请转告",
            audience="third_party",
            body="您好，{institution}有事务需联系{name}，烦请转告其致电{hotline}。",
        ),
    }


HEADER = ["借款合同号", "客户姓名", "身份证号", "联系电话", "业务品种", "欠款本金", "欠息", "首次逾期日"]


def person_rows(
    n: int, *, seed: int = 1, prefix: str = "HT", product: str = "信用卡", amount: str = "12000.00"
):
    rng = random.Random(seed)
    return [
        [
            f"{prefix}{i:05d}",
            person_name(rng),
            id_number(rng),
            mobile(rng),
            product,
            amount,
            "300.50",
            "2026-03-05",
        ]
        for i in range(1, n + 1)
    ]


def write_csv(
    path, rows, *, header=HEADER, title: str | None = "某银行逾期清单", encoding="utf-8-sig", total=True
):
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows(rows)
    if total:
        writer.writerow(["合计"] + [""] * (len(header) - 1))
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.fixture
def make_csv(tmp_path):
    counter = iter(range(1, 10_000))

    def make(rows, **kw):
        return write_csv(tmp_path / f"export-{next(counter)}.csv", rows, **kw)

    return make


__all__ = ["HEADER", "local", "person_rows", "write_csv", "uscc_number", "id_number", "mobile", "person_name"]
