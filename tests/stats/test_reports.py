"""Reports: real Word, PDF and Excel files, per audience, on demand and on schedule."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client

from jiefen.common.errors import NotFound, PermissionDenied
from jiefen.stats import reports
from jiefen.stats.models import Report
from jiefen.stats.services import cube_refresh

from .conftest import local, on

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(world, timeline):
    for day in (2, 3, 4):
        timeline.case(
            at=local(2026, 3, day, 9),
            principal="7000.00",
            steps=[("triage_simple", local(2026, 3, day)), ("settle_paid", local(2026, 3, day + 2))],
        )
    timeline.case(
        world.bank_b,
        at=local(2026, 3, 5, 9),
        principal="90000.00",
        steps=[("triage_simple", local(2026, 3, 5))],
    )
    cube_refresh(force=True)
    return world


def docx_text(content: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_periods_of_each_kind():
    assert reports.report_period("weekly", dt.date(2026, 3, 4)) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert reports.report_period("monthly", dt.date(2026, 2, 14)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert reports.report_period("quarterly", dt.date(2026, 12, 31)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )


def test_the_monthly_report_is_a_word_file_with_its_figures_and_a_chart(march):
    report = reports.report_generate(actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 15))
    assert report.title.endswith("2026年03月月通报")
    text = docx_text(report.docx.read())
    assert "一、总体情况" in text
    assert "新收案件 4 件" in text
    assert "乙银行" in text and "甲银行" in text  # the centre's report has the institution table
    from docx import Document

    doc = Document(io.BytesIO(report.docx.read()))
    assert doc.inline_shapes, "charts are embedded as pictures"
    assert "[[chart" not in text


def test_the_excel_annex_has_the_tables(march):
    from python_calamine import CalamineWorkbook

    report = reports.report_generate(actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 15))
    book = CalamineWorkbook.from_filelike(io.BytesIO(report.xlsx.read()))
    assert "总体情况" in book.sheet_names
    assert "说明" in book.sheet_names
    overview = book.get_sheet_by_name("总体情况").to_python()
    assert ["收案数", "4 件"] in [row[:2] for row in overview]


def test_the_pdf_is_a_pdf(march, pdf_required):
    report = reports.report_generate(actor=march.center_staff, kind="quarterly", anchor=dt.date(2026, 3, 15))
    content = report.pdf.read()
    assert content.startswith(b"%PDF")
    assert len(content) > 5000


def test_a_banks_report_has_its_own_figures_only(march):
    report = reports.report_generate(
        actor=march.a_manager, kind="monthly", anchor=dt.date(2026, 3, 15), institution_id=march.bank_a.pk
    )
    assert report.institution == march.bank_a
    text = docx_text(report.docx.read())
    assert "新收案件 3 件" in text
    assert "90,000" not in text and "乙银行" not in text


def test_a_bank_cannot_generate_or_download_another_banks_report(march):
    with pytest.raises(NotFound):
        reports.report_generate(actor=march.a_manager, kind="monthly", institution_id=march.bank_b.pk)
    with pytest.raises(PermissionDenied):
        reports.report_generate(actor=march.viewer, kind="monthly")
    theirs = reports.report_generate(
        actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 15), institution_id=march.bank_b.pk
    )
    centre = reports.report_generate(actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 15))
    client = Client()
    client.force_login(march.a_manager)
    assert client.get(f"/stats/reports/{theirs.pk}/docx/").status_code == 404
    assert client.get(f"/stats/reports/{centre.pk}/docx/").status_code == 404
    listing = client.get("/stats/reports/").content.decode()
    assert theirs.title not in listing and centre.title not in listing


def test_a_report_downloads_for_those_who_may_see_it(march):
    report = reports.report_generate(actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 15))
    for user in (march.center_staff, march.viewer, march.pbc_officer):
        client = Client()
        client.force_login(user)
        response = client.get(f"/stats/reports/{report.pk}/docx/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:2] == b"PK"
        assert "attachment" in response["Content-Disposition"]


def test_generating_again_replaces_the_files_of_the_same_report(march):
    first = reports.report_generate(actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 15))
    second = reports.report_generate(actor=march.center_staff, kind="monthly", anchor=dt.date(2026, 3, 20))
    assert first.pk == second.pk
    assert Report.objects.count() == 1


def test_the_scheduled_run_makes_the_centres_report_and_one_per_bank(march):
    made = reports.reports_for_period_end(kind="monthly", due=local(2026, 4, 1, 0, 20))
    scopes = {r.institution_id for r in made}
    assert scopes == {None, march.bank_a.pk, march.bank_b.pk}
    assert all(r.trigger == "schedule" and r.period_start == dt.date(2026, 3, 1) for r in made)
    again = reports.reports_for_period_end(kind="monthly", due=local(2026, 4, 1, 0, 20))
    assert {r.pk for r in again} == {r.pk for r in made}


def test_the_weekly_report_counts_the_week(world, timeline):
    today = dt.datetime.now(tz=local(2026, 1, 1).tzinfo).date()
    monday = today - dt.timedelta(days=today.weekday() + 7)  # last week
    timeline.case(at=on(monday, 9), steps=[("triage_simple", on(monday, 10))])
    timeline.case(at=on(monday + dt.timedelta(days=6), 22), steps=[])
    cube_refresh(force=True)
    report = reports.report_generate(
        actor=world.center_staff, kind="weekly", anchor=monday + dt.timedelta(days=2)
    )
    assert report.period_start == monday and report.period_end == monday + dt.timedelta(days=6)
    assert "本周新收案件 2 件" in docx_text(report.docx.read())


def test_the_on_demand_form_generates_a_report(march):
    client = Client()
    client.force_login(march.center_staff)
    response = client.post("/stats/reports/generate/", {"which": "monthly:2026-03-01", "institution": ""})
    assert response.status_code == 302
    assert Report.objects.get().period_start == dt.date(2026, 3, 1)
    bad = client.post("/stats/reports/generate/", {"which": "yearly:2026-03-01"}, follow=True)
    assert "报告类型" in bad.content.decode()
