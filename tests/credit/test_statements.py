"""Personal statements: submitted about an item, reviewed by the PBOC officer, withdrawn or replaced
with the history kept; the unverified procedure's numbers are configurable."""

import pytest

from jiefen.common.errors import ApplicationError, NotFound, PermissionDenied
from jiefen.common.models import RuleOverride
from jiefen.credit import services
from jiefen.credit.models import Application, PersonalStatement

from .conftest import PHONE_A, at, consent, file_dispute, person


def submit(world, text="2024年3月至5月住院治疗未能按时还款，出院后已全部结清。", **kw):
    return services.statement_submit(
        phone=PHONE_A,
        applicant=person(),
        consent=consent(),
        item_kind="credit_transaction",
        institution_id=world.bank_a.pk,
        account_ref="贷款合同2023-77",
        text=text,
        **kw,
    )


def test_a_statement_is_an_application_with_a_review_clock(station):
    s = submit(station, now=at(2026, 3, 4))
    assert s.application.kind == Application.Kind.STATEMENT and s.status == "submitted"
    assert s.revision == 1 and str(s.review_due) == "2026-03-19"


def test_a_transaction_statement_must_name_the_reporting_institution(station):
    with pytest.raises(ApplicationError, match="金融机构"):
        services.statement_submit(
            phone=PHONE_A, applicant=person(), consent=consent(), item_kind="credit_transaction", text="说明"
        )


def test_the_length_limit_is_configurable(station):
    with pytest.raises(ApplicationError, match="200字"):
        submit(station, text="说" * 201)
    RuleOverride.objects.create(key="credit.statement_max_chars", amount=300, reason="征信中心口径调整")
    RuleOverride.invalidate()
    try:
        assert submit(station, text="说" * 250).status == "submitted"
    finally:
        RuleOverride.invalidate()


class TestReview:
    def test_the_pbc_officer_accepts(self, station):
        s = services.statement_review(
            actor=station.pbc_officer, statement_id=submit(station).pk, decision="accept"
        )
        assert s.status == "accepted" and s.reviewer == station.pbc_officer
        assert s.application.status == "answered"

    def test_a_rejection_or_a_change_request_needs_a_reason(self, station):
        s = submit(station)
        with pytest.raises(ApplicationError, match="理由"):
            services.statement_review(actor=station.pbc_officer, statement_id=s.pk, decision="reject")
        s = services.statement_review(
            actor=station.pbc_officer,
            statement_id=s.pk,
            decision="request_change",
            reason="请写明逾期的起止月份",
        )
        assert s.status == "change_requested" and s.review_reason == "请写明逾期的起止月份"

    def test_only_the_pbc_officer_reviews(self, station):
        s = submit(station)
        for who in (station.center_staff, station.a_liaison):
            with pytest.raises(PermissionDenied):
                services.statement_review(actor=who, statement_id=s.pk, decision="accept")
        with pytest.raises(NotFound):
            services.statement_review(actor=station.b_staff, statement_id=s.pk, decision="accept")

    def test_a_statement_is_reviewed_once(self, station):
        s = submit(station)
        services.statement_review(actor=station.pbc_officer, statement_id=s.pk, decision="accept")
        with pytest.raises(ApplicationError, match="待审核"):
            services.statement_review(
                actor=station.pbc_officer, statement_id=s.pk, decision="reject", reason="x"
            )


class TestWithdrawAndReplace:
    def test_a_replacement_keeps_the_old_version(self, station):
        old = submit(station)
        services.statement_review(
            actor=station.pbc_officer, statement_id=old.pk, decision="request_change", reason="补充月份"
        )
        new = services.statement_replace(
            phone=PHONE_A, statement_id=old.pk, text="2024年3月至5月住院，已于6月结清。"
        )
        old.refresh_from_db()
        assert old.status == "replaced" and old.replaced_by == new
        assert new.revision == 2 and new.status == "submitted" and new.institution == station.bank_a
        assert PersonalStatement.objects.filter(application=old.application).count() == 2

    def test_a_withdrawn_statement_stays_on_record(self, station):
        s = submit(station)
        services.statement_review(actor=station.pbc_officer, statement_id=s.pk, decision="accept")
        s = services.statement_withdraw(phone=PHONE_A, statement_id=s.pk)
        assert s.status == "withdrawn"
        assert s.application.events.filter(action="statement_withdrawn").exists()
        with pytest.raises(ApplicationError):
            services.statement_replace(phone=PHONE_A, statement_id=s.pk, text="新内容")

    def test_someone_elses_phone_cannot_touch_a_statement(self, station):
        s = submit(station)
        with pytest.raises(NotFound):
            services.statement_withdraw(phone="13700137000", statement_id=s.pk)


def test_a_statement_follows_an_unconfirmed_dispute_in_the_same_application(station):
    app = file_dispute(station.bank_a)
    services.dispute_answer(
        actor=station.a_liaison,
        dispute_id=app.dispute.pk,
        outcomes=[
            services.ItemOutcomeIn(item_id=i.pk, outcome="unconfirmed", note="无法核实")
            for i in app.dispute.items.all()
        ],
        reply_text="无法核实，已记录",
    )
    s = services.statement_submit(
        phone=PHONE_A,
        applicant=None,
        consent=None,
        number=app.number,
        item_kind="credit_transaction",
        institution_id=station.bank_a.pk,
        text="该笔逾期系银行扣款系统故障所致。",
    )
    assert s.application == app and s.dispute == app.dispute
