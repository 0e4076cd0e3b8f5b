"""The direct-line and education demos: every state present, and fast."""

import random
import time

import pytest
from django.utils import timezone

from jiefen.complaints import demo as complaints_demo
from jiefen.complaints.models import Complaint, Status
from jiefen.demo.data import _seed_orgs, _seed_users
from jiefen.education import demo as education_demo
from jiefen.education.models import PrizeDraw, Quiz, ScamEntity, ScamStatus

pytestmark = pytest.mark.django_db


def test_the_demos_cover_every_state_within_ten_seconds(client):
    insts = _seed_orgs()
    users = _seed_users(insts, "jiefen-demo")
    ctx = {
        "institutions": insts,
        "users": users,
        "rng": random.Random(7),
        "now": timezone.now(),
        "password": "jiefen-demo",
    }
    # CPU time, not wall time: the machine running the suite may be busy with other work.
    started = time.process_time()
    complaints_demo.load(ctx)
    education_demo.load(ctx)
    assert time.process_time() - started < 10
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Status.values)
    assert (
        Complaint.objects.filter(period_days=30).exists()
        and Complaint.objects.filter(period_days=60).exists()
    )
    assert (
        Complaint.objects.filter(escalation_level=1).exists()
        or Complaint.objects.filter(escalation_level=2).exists()
    )
    assert Complaint.objects.filter(escalation_level=2).exists()
    assert Complaint.objects.filter(rating__isnull=False).count() >= 20
    assert Complaint.objects.filter(scam_flagged=True).exists()
    assert set(ScamEntity.objects.values_list("status", flat=True)) == set(ScamStatus.values)
    assert 70 <= ScamEntity.objects.exclude(status="dismissed").count() <= 80
    assert Quiz.objects.filter(state="open").exists() and PrizeDraw.objects.count() == 1
    # the branch executive created by the demo logs in and sees a desk
    assert client.login(username="bank_a_branch", password="jiefen-demo")
    page = client.get("/complaints/")
    assert page.status_code == 200 and "TS" in page.content.decode()
