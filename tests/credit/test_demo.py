import time

import pytest

from jiefen.credit.models import (
    Application,
    CounselingTask,
    CreditAgreement,
    CreditDispute,
    Escalation,
    PersonalStatement,
    ReliefMeasure,
    ReliefPlan,
    ReportingTask,
)
from jiefen.demo.data import load


@pytest.mark.django_db
def test_the_demo_shows_every_state_of_the_station_and_loads_fast(client, monkeypatch):
    from jiefen.credit import demo

    spent = {}
    real = demo.load

    def timed(ctx):
        started = time.monotonic()
        try:
            return real(ctx)
        finally:
            spent["credit"] = time.monotonic() - started

    monkeypatch.setattr(demo, "load", timed)
    result = load(cases=40)
    assert result["credit"]["measures"] == 147
    print(f"credit demo: {spent['credit']:.1f} s")
    assert spent["credit"] < 20  # a few seconds on an idle machine; generous for loaded CI runners

    def states(model, field="status"):
        return set(model.objects.values_list(field, flat=True))

    assert states(CreditDispute) == set(CreditDispute.Status.values)
    assert states(PersonalStatement) == set(PersonalStatement.Status.values)
    assert states(Application, "kind") == set(Application.Kind.values)
    assert {"submitted", "in_progress", "answered", "closed", "converted", "withdrawn"} <= states(Application)
    assert {"awaiting_applicant", "awaiting_institution", "effective", "declined"} <= states(CreditAgreement)
    assert {"signing", "effective", "mediation"} <= states(ReliefPlan)
    assert {"pending", "updated", "confirmed", "disputed"} <= states(ReportingTask)
    assert states(CounselingTask) == set(CounselingTask.Status.values)
    assert CounselingTask.objects.filter(still_current=True).exists()
    assert CounselingTask.objects.filter(still_current=False).exists()
    assert set(Escalation.objects.values_list("level", flat=True)) == {"warning", "overdue"}
    assert Escalation.objects.filter(subject__startswith="reporting:").exists()
    assert ReliefMeasure.objects.values("institution").distinct().count() >= 5

    assert client.login(username="bank_a_liaison", password="jiefen-demo")
    assert client.get("/credit/disputes/").status_code == 200
    client.login(username="pbc_officer", password="jiefen-demo")
    page = client.get("/credit/").content.decode()
    assert "督办" in page and "已超" in page
