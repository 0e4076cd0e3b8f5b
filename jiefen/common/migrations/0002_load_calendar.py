from django.db import migrations


def forwards(apps, schema_editor):
    from jiefen.common.calendar_data import load_calendar

    load_calendar(apps.get_model("common", "CalendarDay"), apps.get_model("common", "CalendarYear"))


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
