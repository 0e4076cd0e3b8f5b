"""The monitoring demo: cubes built, one report of each kind, a datacube waiting for the bank."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from jiefen.stats import demo
from jiefen.stats.models import Datacube, RefreshState, Report, Schedule

pytestmark = pytest.mark.django_db


def test_the_demo_loads_reports_and_a_datacube_in_review(world, timeline):
    now = timezone.now()
    for days in (20, 60, 100, 130):
        at = now - dt.timedelta(days=days)
        timeline.case(at=at, steps=[("triage_simple", at + dt.timedelta(hours=2))])
    ctx = {
        "institutions": {"ICBC-QZ": world.bank_a},
        "users": {"center_admin": world.center_admin},
        "rng": random.Random(1),
        "now": now,
        "password": "x",
    }
    result = demo.load(ctx)
    assert RefreshState.objects.get().as_of is not None
    assert set(Report.objects.values_list("kind", flat=True)) == {"weekly", "monthly", "quarterly"}
    assert Report.objects.filter(institution=world.bank_a).exists()
    assert result["datacubes_in_review"] == 1
    assert Datacube.objects.get().status == "review"
    assert Schedule.objects.count() >= 4
