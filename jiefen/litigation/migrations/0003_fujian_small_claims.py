"""Seed the small-claims table for Fujian. The wage figures are PLACEHOLDERS to be checked against the
Fujian statistics bureau's published average annual wage of employed persons before use: they are
marked unverified, and the pages say so."""

from decimal import Decimal

from django.db import migrations

ROWS = [
    (2025, 2024, Decimal("110000.00")),
    (2026, 2025, Decimal("113000.00")),
]


def seed(apps, schema_editor):
    Threshold = apps.get_model("litigation", "SmallClaimsThreshold")
    for year, wage_year, wage in ROWS:
        Threshold.objects.get_or_create(
            province_code="35",
            year=year,
            defaults={
                "province_name": "福建省",
                "wage_year": wage_year,
                "average_wage": wage,
                "ratio_pct": 50,
                "source": "待核实：福建省统计局公布的上年度全省就业人员年平均工资",
                "verified": False,
                "note": "示例数值，启用前须按官方公布数据核对并勾选“已核实”",
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("litigation", "SmallClaimsThreshold").objects.filter(province_code="35", verified=False).delete()


class Migration(migrations.Migration):
    dependencies = [("litigation", "0002_initial")]
    operations = [migrations.RunPython(seed, unseed)]
