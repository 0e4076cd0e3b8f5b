import pytest
from django.core.management import call_command

from jiefen.cases.machine import Status
from jiefen.cases.models import Case
from jiefen.demo.data import DEMO_USERS, load


@pytest.mark.django_db
def test_the_demo_covers_every_stage_and_is_safe_to_load_twice(client):
    result = load(cases=220)
    assert result["cases"] == 220
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    # The capabilities' demos add their own cases (conversions, complaints turned into mediation).
    count = Case.objects.count()
    assert count >= 220
    assert load(cases=220) == {"cases": 0}
    assert Case.objects.count() == count
    # every demo login lands on a working page
    for spec in DEMO_USERS:
        assert client.login(username=spec["username"], password="jiefen-demo"), spec["username"]
        response = client.get("/", follow=True)
        assert response.status_code == 200 and response.redirect_chain[-1][0] == "/home/", spec["username"]
        assert client.get("/cases/").status_code == 200
        client.logout()


@pytest.mark.django_db
def test_the_demo_command_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(Exception, match="演示模式"):
        call_command("demo", cases=1)
