"""Importing bank files into cases: idempotent, crash-safe, explained, and tenant-bound."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from jiefen.cases.models import Case, CaseEvent
from jiefen.common.crypto import lookup_hash
from jiefen.common.errors import NotFound, PermissionDenied
from jiefen.disposal.imports import import_file, import_job_create, import_job_run, import_job_validate
from jiefen.disposal.intake.pipeline import ImportKilled
from jiefen.disposal.models import ImportJob, ImportRowError, TriageRule
from jiefen.parties.models import Party, PartyPhone

from .conftest import HEADER, person_rows


def snapshot(institution):
    """What a clean import produces, independent of ids and times."""
    out = {}
    for case in Case.objects.filter(institution=institution).select_related("debtor"):
        out[case.contract_no] = (
            case.debtor.id_hash,
            case.debtor.name,
            str(case.principal),
            str(case.interest),
            case.status,
            case.complexity,
            case.lost_contact,
            case.version,
            tuple(sorted(case.debtor.phones.values_list("number_hash", flat=True))),
            tuple(case.events.order_by("at", "id").values_list("action", flat=True)),
        )
    return out


def test_an_import_creates_triaged_cases_with_their_reasons(world, make_csv):
    rows = person_rows(5)
    rows[1][5] = "80000.00"  # above the credit-card threshold: complex
    rows[2][3] = ""  # no phone: lost contact
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    assert job.status == "done"
    assert (job.rows, job.created, job.updated, job.unchanged, job.rejected) == (5, 5, 0, 0, 0)
    assert (job.simple, job.complex, job.lost_contact) == (4, 1, 1)
    cases = {c.contract_no: c for c in Case.objects.filter(institution=world.bank_a)}
    simple, complex_, lost = cases["HT00001"], cases["HT00002"], cases["HT00003"]
    assert simple.status == "disposal" and simple.complexity == "simple" and simple.stage_due_on
    assert complex_.status == "mediation_pending" and complex_.complexity == "complex"
    assert lost.lost_contact and not simple.lost_contact
    assert simple.number.startswith("JF") and len({c.number for c in cases.values()}) == 5
    assert simple.principal == Decimal("12000.00") and simple.interest == Decimal("300.50")
    # The debtor is encrypted at rest and found by its keyed hash.
    assert simple.debtor.id_number == rows[0][2] and simple.debtor.id_hash == lookup_hash(rows[0][2])
    assert [p.number for p in simple.debtor.phones.all()] == [rows[0][3]]
    events = list(complex_.events.order_by("at", "id"))
    assert [e.action for e in events] == ["create", "triage_complex"]
    assert events[1].data["rule"] == "amount" and "信用卡" in events[1].data["label"]
    assert "¥80,300.50" in events[1].reason and "达到复杂案件阈值" in events[1].reason
    simple_event = simple.events.get(action="triage_simple")
    assert simple_event.data["rule"] == "default" and "低于复杂案件阈值" in simple_event.reason
    assert "标记失联" in lost.events.get(action="triage_simple").reason


def test_re_importing_the_same_file_changes_nothing(world, make_csv):
    path = make_csv(person_rows(6))
    import_file(actor=world.a_staff, institution=world.bank_a, path=path)
    before = snapshot(world.bank_a)
    again = import_file(actor=world.a_staff, institution=world.bank_a, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert snapshot(world.bank_a) == before
    assert Case.objects.filter(institution=world.bank_a).count() == 6
    assert Party.objects.filter(owner=world.bank_a).count() == 6


def test_a_changed_row_updates_the_case_and_says_what_changed(world, make_csv):
    rows = person_rows(3)
    import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    rows[0][5] = "12,500.00"
    rows[1][3] = f"{rows[1][3]}，13900001111"
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    assert (job.created, job.updated, job.unchanged) == (0, 2, 1)
    first = Case.objects.get(institution=world.bank_a, contract_no="HT00001")
    assert first.principal == Decimal("12500.00") and first.version == 2
    event = first.events.get(action="import_update")
    assert event.data["changes"]["principal"] == ["12000.00", "12500.00"] and "本金" in event.reason
    second = Case.objects.get(institution=world.bank_a, contract_no="HT00002")
    assert second.debtor.phones.count() == 2
    assert second.events.get(action="import_update").data["changes"]["phones_added"] == ["139****1111"]


def test_a_column_missing_from_a_re_export_keeps_the_cases_value(world, make_csv):
    rows = person_rows(2)
    import_file(
        actor=world.a_staff,
        institution=world.bank_a,
        path=make_csv([[*r, "是"] for r in rows], header=[*HEADER, "是否涉诉"]),
    )
    assert Case.objects.filter(involves_litigation=True).count() == 2
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    assert (job.updated, job.unchanged) == (0, 2)
    assert Case.objects.filter(involves_litigation=True).count() == 2


def test_a_second_contract_of_a_known_debtor_reuses_the_person(world, make_csv):
    rows = person_rows(1)
    second = list(rows[0])
    second[0] = "HT09999"
    import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv([rows[0], second]))
    assert Party.objects.filter(owner=world.bank_a).count() == 1
    assert PartyPhone.objects.filter(party__owner=world.bank_a).count() == 1
    assert Case.objects.filter(institution=world.bank_a).count() == 2


def test_killing_an_import_midway_and_running_it_again_gives_the_clean_result(world, make_csv):
    # The same people at two banks would trigger the several-creditors rule: compare like with like.
    TriageRule.objects.filter(kind="multi_creditor").update(active=False)
    rows = person_rows(40, seed=8)
    path_a = make_csv(rows)
    clean = import_file(actor=world.a_staff, institution=world.bank_a, path=path_a)
    assert clean.created == 40

    def crash(commits):
        if commits == 2:
            raise ImportKilled

    job = import_job_create(
        actor=world.b_staff, institution=world.bank_b, upload=make_csv(rows), filename="b.csv"
    )
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    from jiefen.disposal.intake import pipeline

    original = pipeline.CHUNK_ROWS, pipeline.COMMIT_ROWS
    # Seven rows a chunk and a commit after every chunk: the crash comes after two commits.
    pipeline.CHUNK_ROWS = pipeline.COMMIT_ROWS = 7
    try:
        with pytest.raises(ImportKilled):
            import_job_run(job_id=job.pk, after_commit=crash)
        job.refresh_from_db()
        assert job.status == "importing" and job.position > 0
        assert Case.objects.filter(institution=world.bank_b).count() == 14
        done = import_job_run(job_id=job.pk)
    finally:
        pipeline.CHUNK_ROWS, pipeline.COMMIT_ROWS = original
    assert done.status == "done" and done.created == 40
    a, b = snapshot(world.bank_a), snapshot(world.bank_b)
    assert a.keys() == b.keys()
    assert all(a[k][1:] == b[k][1:] for k in a)
    # And a whole new run of the file over the half-done one converges too.
    again = import_file(actor=world.b_staff, institution=world.bank_b, path=make_csv(rows))
    assert (again.created, again.unchanged) == (0, 40)
    assert Case.objects.filter(institution=world.bank_b).count() == 40


def test_one_transaction_spans_several_chunks_and_a_crash_keeps_only_whole_commits(world, make_csv):
    from jiefen.disposal.intake import pipeline

    rows = person_rows(40, seed=9)
    job = import_job_create(
        actor=world.a_staff, institution=world.bank_a, upload=make_csv(rows), filename="a.csv"
    )
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    seen = []

    def crash(commits):
        seen.append(Case.objects.filter(institution=world.bank_a).count())
        if commits == 1:
            raise ImportKilled

    original = pipeline.CHUNK_ROWS, pipeline.COMMIT_ROWS
    pipeline.CHUNK_ROWS, pipeline.COMMIT_ROWS = 7, 21
    try:
        with pytest.raises(ImportKilled):
            import_job_run(job_id=job.pk, after_commit=crash)
        # Three chunks of seven made the first commit; the fourth chunk never started.
        assert seen == [21]
        job.refresh_from_db()
        assert job.status == "importing" and job.created == 21
        assert Case.objects.filter(institution=world.bank_a).count() == 21
        done = import_job_run(job_id=job.pk)
    finally:
        pipeline.CHUNK_ROWS, pipeline.COMMIT_ROWS = original
    assert (done.status, done.created) == ("done", 40)
    assert Case.objects.filter(institution=world.bank_a).count() == 40


def errors_of(job):
    return sorted(ImportRowError.objects.filter(job=job).values_list("row", "column", "value", "reason"))


def test_a_big_file_read_in_a_second_process_imports_exactly_as_in_one(world, make_csv, monkeypatch):
    from jiefen.disposal.intake import feed, pipeline

    TriageRule.objects.filter(kind="multi_creditor").update(active=False)
    rows = person_rows(30, seed=11)
    rows[3][2] = "350102199001011235"  # a wrong check digit
    rows[4][5] = "-5"  # a negative amount
    rows[7][0] = rows[6][0]  # a duplicate contract number
    rows[9][3] = ""  # no phone: lost contact
    rows[12][5] = "90000.00"  # complex
    path = make_csv(rows)
    here = import_file(actor=world.a_staff, institution=world.bank_a, path=path)

    started = []
    real_start = feed.multiprocessing.get_context("spawn").Process.start

    def start(self):
        started.append(self.name)
        return real_start(self)

    monkeypatch.setattr(feed, "PROCESS_ROWS", 0)
    monkeypatch.setattr(feed.multiprocessing.get_context("spawn").Process, "start", start)
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 8)  # several chunks cross the pipe
    there = import_file(actor=world.b_staff, institution=world.bank_b, path=make_csv(rows))
    assert started == ["jiefen-import-reader"]
    counts = ("status", "rows", "created", "rejected", "simple", "complex", "lost_contact")
    assert [getattr(there, k) for k in counts] == [getattr(here, k) for k in counts]
    assert (there.created, there.rejected) == (27, 3)
    assert errors_of(there) == errors_of(here) and len(errors_of(there)) == 3
    a, b = snapshot(world.bank_a), snapshot(world.bank_b)
    assert a.keys() == b.keys() and all(a[k][1:] == b[k][1:] for k in a)
    # The ID numbers and phones sealed in the second process read back with the platform's key.
    debtor = Case.objects.get(institution=world.bank_b, contract_no=rows[0][0]).debtor
    assert debtor.id_number == rows[0][2] and debtor.id_hash == lookup_hash(rows[0][2])
    assert [p.number for p in debtor.phones.all()] == [rows[0][3]]

    # A re-import through the second process records what changed.
    rows[0][5] = "13000.00"
    again = import_file(actor=world.b_staff, institution=world.bank_b, path=make_csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 26)
    case = Case.objects.get(institution=world.bank_b, contract_no=rows[0][0])
    assert case.principal == Decimal("13000.00")
    assert case.events.filter(action="import_update").count() == 1


def test_the_second_process_reports_a_file_without_a_header_and_stops_with_the_writer(
    world, make_csv, tmp_path, monkeypatch
):
    import multiprocessing

    from jiefen.disposal.intake import feed, pipeline

    monkeypatch.setattr(feed, "PROCESS_ROWS", 0)
    bad = tmp_path / "no-header.csv"
    bad.write_text("这是一份说明\n没有表头\n", encoding="utf-8")
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=bad)
    assert job.status == "failed" and "未找到表头" in job.message

    # The writer is killed after its first commit: the reading process does not outlive it.
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 5)
    monkeypatch.setattr(pipeline, "COMMIT_ROWS", 5)

    def crash(commits):
        raise ImportKilled

    with pytest.raises(ImportKilled):
        import_file(
            actor=world.a_staff, institution=world.bank_a, path=make_csv(person_rows(20)), after_commit=crash
        )
    assert Case.objects.filter(institution=world.bank_a).count() == 5
    assert not [p for p in multiprocessing.active_children() if p.name == "jiefen-import-reader"]


def test_a_crash_inside_a_chunk_leaves_no_half_written_chunk(world, make_csv, monkeypatch):
    from jiefen.disposal.intake import store

    rows = person_rows(5)
    calls = {"n": 0}
    original = store.Db.insert

    def failing(self, table, cols, data, fixed=()):
        calls["n"] += 1
        if table == "cases_caseevent":
            raise RuntimeError("disk full")
        return original(self, table, cols, data, fixed)

    monkeypatch.setattr(store.Db, "insert", failing)
    with pytest.raises(RuntimeError):
        import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    assert Case.objects.filter(institution=world.bank_a).count() == 0
    assert Party.objects.filter(owner=world.bank_a).count() == 0
    job = ImportJob.objects.get(institution=world.bank_a)
    assert job.status == "failed" and "已导入的部分保留" in job.message


def test_rejected_rows_are_reported_and_valid_rows_still_import(world, make_csv):
    rows = person_rows(4)
    rows[1][2] = rows[1][2][:-1] + ("0" if rows[1][2][-1] != "0" else "1")
    rows[3][0] = rows[0][0]  # duplicate contract in the file
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    assert (job.rows, job.created, job.rejected) == (4, 2, 2)
    errors = list(ImportRowError.objects.filter(job=job).values_list("row", "column", "reason"))
    # Title on line 1, header on line 2: the second data row is line 4 of the file.
    assert (4, "身份证号", "身份证号校验位不正确") in errors
    assert (6, "借款合同号", "合同编号与第3行重复") in errors


def test_all_or_nothing_imports_nothing_when_a_row_is_wrong(world, make_csv):
    rows = person_rows(3)
    rows[2][5] = "abc"
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows), mode="all")
    assert job.status == "failed" and job.rejected == 1 and "未导入任何数据" in job.message
    assert not Case.objects.filter(institution=world.bank_a).exists()


def test_a_contract_already_imported_for_another_person_is_refused(world, make_csv):
    rows = person_rows(1)
    import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(rows))
    other = person_rows(1, seed=99)
    other[0][0] = rows[0][0]
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(other))
    assert job.rejected == 1
    assert "证件号码与原记录不一致" in ImportRowError.objects.get(job=job).reason


def test_the_preview_counts_without_writing(world, make_csv):
    job = import_job_create(
        actor=world.a_staff, institution=world.bank_a, upload=make_csv(person_rows(3)), filename="p.csv"
    )
    job = import_job_validate(job_id=job.pk)
    assert job.status == "validated" and (job.rows, job.valid, job.created) == (3, 3, 3)
    assert not Case.objects.exists()


def test_a_bank_cannot_import_for_another_bank(world, make_csv):
    with pytest.raises(NotFound):
        import_job_create(
            actor=world.b_staff, institution=world.bank_a, upload=make_csv(person_rows(1)), filename="x.csv"
        )
    with pytest.raises(PermissionDenied):
        import_job_create(
            actor=world.a_liaison, institution=world.bank_a, upload=make_csv(person_rows(1)), filename="x.csv"
        )
    # The centre imports for any bank.
    job = import_file(actor=world.center_staff, institution=world.bank_a, path=make_csv(person_rows(1)))
    assert job.created == 1


def test_the_command_prints_exactly_the_agreed_json(world, make_csv, capsys):
    rows = person_rows(3)
    rows[2][3] = "12345"
    path = make_csv(rows)
    out = io.StringIO()
    call_command("import-cases", "--institution", "BANK-A", str(path), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert list(data) == ["rows", "created", "updated", "unchanged", "rejected", "errors"]
    assert (data["rows"], data["created"], data["rejected"]) == (3, 2, 1)
    assert data["errors"] == [
        {"row": 5, "column": "联系电话", "value": "12345", "reason": "手机号应为以1开头的11位数字"}
    ]
    out = io.StringIO()
    call_command("import-cases", "--institution", "BANK-A", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["unchanged"] == 2


def test_the_command_refuses_an_unknown_institution(world, make_csv):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="NOPE"):
        call_command("import-cases", "--institution", "NOPE", str(make_csv(person_rows(1))), "--json")


# ---- pages and API -----------------------------------------------------------------------------


def test_a_bank_user_uploads_previews_and_confirms_in_the_browser_flow(client, world, make_csv):
    rows = person_rows(4)
    rows[3][5] = "-1"
    client.force_login(world.a_staff)
    with open(make_csv(rows), "rb") as handle:
        response = client.post(
            "/disposal/imports/", {"institution": world.bank_a.pk, "file": handle, "mode": "partial"}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/disposal/imports/{job.pk}/"
    page = client.get(f"/disposal/imports/{job.pk}/").content.decode()
    assert "待确认" in page and "金额不能为负数" in page and "确认导入" in page
    assert not Case.objects.exists()
    client.post(f"/disposal/imports/{job.pk}/confirm/", {"mode": "partial"})
    job.refresh_from_db()
    assert job.status == "done" and job.created == 3
    report = client.get(f"/disposal/imports/{job.pk}/report.xlsx")
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(report.streaming_content))).get_sheet_by_index(
        0
    )
    assert sheet.to_python()[1][3] == "金额不能为负数"


def test_another_bank_never_sees_the_job(client, world, make_csv):
    job = import_file(actor=world.a_staff, institution=world.bank_a, path=make_csv(person_rows(1)))
    client.force_login(world.b_staff)
    assert client.get(f"/disposal/imports/{job.pk}/").status_code == 404
    assert client.get(f"/disposal/imports/{job.pk}/report.xlsx").status_code == 404
    assert job.filename not in client.get("/disposal/imports/").content.decode()
    assert client.get(f"/api/v1/disposal/imports/{job.pk}").status_code == 404


def test_the_api_uploads_checks_and_reports_status(client, world, make_csv):
    rows = person_rows(3)
    rows[0][2] = "123"
    client.force_login(world.a_staff)
    with open(make_csv(rows), "rb") as handle:
        response = client.post("/api/v1/disposal/imports", {"file": handle, "institution": "BANK-A"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "validated" and body["rejected"] == 1 and body["created"] == 2
    assert body["errors"][0]["row"] == 3 and "18位" in body["errors"][0]["reason"]
    confirmed = client.post(f"/api/v1/disposal/imports/{body['id']}/confirm").json()
    assert confirmed["status"] == "done" and confirmed["created"] == 2
    status = client.get(f"/api/v1/disposal/imports/{body['id']}").json()
    assert status["percent"] == 100
    errors = client.get(f"/api/v1/disposal/imports/{body['id']}/errors").json()
    assert errors["items"][0]["column"] == "身份证号" and errors["next_offset"] is None


def test_the_api_imports_in_one_call_and_refuses_a_foreign_institution(client, world, make_csv):
    client.force_login(world.b_staff)
    with open(make_csv(person_rows(2)), "rb") as handle:
        refused = client.post(
            "/api/v1/disposal/imports", {"file": handle, "institution": "BANK-A", "confirm": "true"}
        )
    assert refused.status_code == 404
    with open(make_csv(person_rows(2)), "rb") as handle:
        done = client.post(
            "/api/v1/disposal/imports", {"file": handle, "institution": "BANK-B", "confirm": "true"}
        )
    assert done.status_code == 201 and done.json()["status"] == "done"
    assert Case.objects.filter(institution=world.bank_b).count() == 2


def test_an_unrecognised_column_can_be_mapped_and_is_remembered(client, world, make_csv):
    header = list(HEADER)
    header[5] = "尚欠金额"  # unknown name for the principal
    client.force_login(world.a_staff)
    with open(make_csv(person_rows(2), header=header), "rb") as handle:
        client.post("/disposal/imports/", {"institution": world.bank_a.pk, "file": handle})
    job = ImportJob.objects.get()
    assert job.status == "failed" and "本金或欠款总额" in job.message
    # The job page offers the columns even when the header lacked a required one.
    assert "尚欠金额" in client.get(f"/disposal/imports/{job.pk}/").content.decode()
    response = client.post(f"/disposal/imports/{job.pk}/mapping/", {"col5": "principal"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "validated" and job.valid == 2
    assert CaseEvent.objects.count() == 0


def test_values_written_once_per_chunk_land_on_every_row(world, make_csv):
    """The writer puts a chunk's constant values into the statement as literals: a quote in the
    uploader's name must arrive intact, and each row must carry the actor, time and institution."""
    user = world.a_staff
    user.display_name = "O'Neil 林'晓"
    user.save(update_fields=["display_name"])
    job = import_file(actor=user, institution=world.bank_a, path=make_csv(person_rows(3)))
    assert job.created == 3
    label = str(user)[:60]
    assert "'" in label
    creates = CaseEvent.objects.filter(case__institution=world.bank_a, action="create")
    assert creates.count() == 3
    assert {(e.actor_id, e.actor_label, e.from_status, e.to_status) for e in creates} == {
        (user.pk, label, "", "new")
    }
    for case in Case.objects.filter(institution=world.bank_a).select_related("debtor"):
        assert (case.version, case.outcome, case.assignee_id, case.closed_at) == (1, "", None, None)
        assert case.created_at == case.updated_at == case.status_changed_at
        assert case.debtor.owner_id == world.bank_a.pk
        assert {(p.source, p.is_valid, p.opted_out) for p in case.debtor.phones.all()} == {
            ("import", True, False)
        }


@pytest.mark.django_db
def test_the_keyed_hash_and_case_number_columns_carry_one_index_each():
    """Every index an import writes to costs every row: a hash or case number gets exactly one
    (PostgreSQL adds a LIKE index for db_index/unique on a CharField, which no query uses)."""
    from django.db import connection

    with connection.cursor() as cur:
        for table, column in (
            ("parties_party", "id_hash"),
            ("parties_partyphone", "number_hash"),
            ("cases_case", "number"),
        ):
            constraints = connection.introspection.get_constraints(cur, table)
            single = [
                name
                for name, c in constraints.items()
                if c["columns"] == [column] and (c["index"] or c["unique"])
            ]
            assert len(single) == 1, (table, column, single)
            if connection.vendor == "postgresql":
                cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
                names = [row[0] for row in cur.fetchall()]
                assert not [n for n in names if n.endswith("_like")], names
