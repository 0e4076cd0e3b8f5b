"""Demo: build the cubes over the demo cases, one report of each kind, one datacube in review."""

from __future__ import annotations

import datetime as dt

from jiefen.common import clock

from . import datacubes, reports, schedules, services
from .models import Datacube


def load(ctx) -> dict:
    admin = ctx["users"]["center_admin"]
    services.cube_refresh(force=True)
    schedules.ensure()
    today = clock.local_date(ctx["now"])
    last_week = today - dt.timedelta(days=7)
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    made = [
        reports.report_generate(actor=admin, kind="weekly", anchor=last_week, trigger="demo"),
        reports.report_generate(actor=admin, kind="monthly", anchor=last_month, trigger="demo"),
        reports.report_generate(actor=admin, kind="quarterly", anchor=today, trigger="demo"),
    ]
    bank = ctx["institutions"]["ICBC-QZ"]
    made.append(
        reports.report_generate(
            actor=admin, kind="monthly", anchor=last_month, institution_id=bank.pk, trigger="demo"
        )
    )
    cubes = []
    for period, _label in datacubes.period_choices(today):
        cubes = datacubes.datacube_prepare(actor=admin, period=period, institution_id=bank.pk, now=ctx["now"])
        if cubes:
            break
    return {"reports": len(made), "datacubes_in_review": Datacube.objects.filter(status="review").count()}
