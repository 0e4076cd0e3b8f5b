"""The demo rows agree with where each demo case ended, and the ledger they wrote is whole."""

import pytest

from jiefen.cases.machine import Status
from jiefen.cases.models import Case
from jiefen.demo.data import load
from jiefen.evidence.models import MerkleRoot
from jiefen.evidence.services import ledger_verify
from jiefen.litigation.models import ConfirmationApplication, EnforcementCase, LitigationTransfer
from jiefen.mediation.models import Agreement, MediatorProfile

pytestmark = pytest.mark.django_db


def test_the_demo_is_consistent_with_each_case(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    result = load(cases=220)
    assert result["mediation"]["agreements"] > 0 and result["litigation"]["transfers"] > 0
    assert MediatorProfile.objects.filter(user__username__in=["mediator", "mediator2"]).count() == 2

    for case in Case.objects.filter(status=Status.MEDIATING):
        assert case.mediation.messages.exists(), case.number
    for status in [Status.AGREED, Status.CONFIRMATION_PENDING, Status.CONFIRMED, Status.PERFORMING]:
        for case in Case.objects.filter(status=status):
            agreement = case.agreements.exclude(state="void").get()
            assert agreement.state in {"effective", "completed"}, case.number
            assert agreement.signatures.count() == 2
    for case in Case.objects.filter(status=Status.CONFIRMED):
        assert case.confirmations.filter(state="confirmed").exists(), case.number
    for case in Case.objects.filter(status=Status.CONFIRMATION_PENDING):
        assert case.confirmations.filter(state__in=["pending", "accepted"]).exists(), case.number
    for case in Case.objects.filter(status=Status.DEFAULTED):
        assert case.agreements.filter(state="defaulted").exists(), case.number
    for case in Case.objects.filter(status__in=[Status.LITIGATION, Status.JUDGED]):
        assert case.transfers.exists(), case.number
    for case in Case.objects.filter(status=Status.JUDGED):
        assert case.transfers.filter(state="decided").exists(), case.number
    for case in Case.objects.filter(status=Status.ENFORCEMENT):
        assert EnforcementCase.objects.filter(case=case).exists(), case.number
    assert not Agreement.objects.filter(state="completed").exclude(case__status=Status.CLOSED).exists()
    assert ConfirmationApplication.objects.filter(route="notary").count() <= 1
    assert LitigationTransfer.objects.filter(route="arbitration").count() <= 1
    assert MerkleRoot.objects.count() == 1 and MerkleRoot.objects.get().anchored_at
    assert ledger_verify().ok
