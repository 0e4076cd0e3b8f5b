from decimal import Decimal

from django.db import migrations

# The centre's starting rules; the centre edits them at /disposal/rules/ (no code change).
RULES = [
    ("litigation", "", "0", 10, "涉诉涉访案件一律进入调解"),
    ("negotiation", "", "0", 20, "机构已协商未果的，由调解员介入"),
    ("multi_creditor", "", "0", 30, "同一债务人涉及多家机构，统一调解"),
    ("enterprise", "", "500000", 40, "企业债务人且金额较大"),
    ("amount", "credit_card", "50000", 50, "信用卡"),
    ("amount", "small_loan", "100000", 51, "小额贷款"),
    ("amount", "consumer_loan", "50000", 52, "消费贷款"),
    ("amount", "business_loan", "300000", 53, "个人经营贷款"),
    ("amount", "sme_loan", "1000000", 54, "小微企业贷款"),
    ("amount", "other", "50000", 55, "其他"),
]


def forwards(apps, schema_editor):
    TriageRule = apps.get_model("disposal", "TriageRule")
    if TriageRule.objects.exists():
        return
    for kind, product, threshold, order, note in RULES:
        TriageRule.objects.create(
            kind=kind, product_type=product, threshold=Decimal(threshold), order=order, note=note
        )


class Migration(migrations.Migration):
    dependencies = [("disposal", "0002_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
