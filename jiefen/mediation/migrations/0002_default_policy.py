"""The centre's default waiver policy row (editable in the admin): the Ningde example."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    Policy = apps.get_model("mediation", "WaiverPolicy")
    if not Policy.objects.filter(institution__isnull=True).exists():
        Policy.objects.create(
            institution=None,
            lump_penalty_pct=Decimal(100),
            lump_compound_pct=Decimal(100),
            lump_fees_pct=Decimal(0),
            inst_penalty_pct=Decimal(50),
            inst_compound_pct=Decimal(50),
            inst_fees_pct=Decimal(0),
            note="中心默认：一次性还款减免全部罚息、复利；分期还款减免50%（参照宁德蕉城做法）",
        )


class Migration(migrations.Migration):
    dependencies = [("mediation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
