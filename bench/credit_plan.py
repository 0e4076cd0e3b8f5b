"""Plan recommender speed: ranked options for applicants with three debts each against the demo's
147-measure catalog, as the plan page computes them on every view.

    python bench/credit_plan.py [--applicants 300]

The recommender finds the shortest affordable length per measure with an O(1) largest-payment formula.
Reference, in the same run: the same search building the full schedule for every candidate length.
Both must pick the same plans (checked). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from jiefen.credit import plans
    from jiefen.credit.catalog import SPLIT, catalog_rows
    from jiefen.credit.services import measure_clean

    codes = list(SPLIT["personal_loan"])
    ids = {code: n for n, code in enumerate(codes, start=1)}
    measures = []
    for n, (code, data) in enumerate(catalog_rows(), start=1):
        clean = measure_clean(data)
        measures.append(
            plans.MeasureTerms(
                id=n,
                institution_id=ids[code],
                institution_name=code,
                **{
                    k: (tuple(v) if isinstance(v, list) else v)
                    for k, v in clean.items()
                    if k not in {"summary", "source"}
                },
            )
        )
    rng = random.Random(7)
    lines = ["credit_card", "personal_loan", "personal_loan"]
    people = []
    for _ in range(args.applicants):
        debts = [
            plans.DebtFacts(
                key=str(k),
                institution_id=rng.choice(list(ids.values())[:6]),
                institution_name="",
                product_line=line,
                principal=Decimal(rng.randrange(5_000, 300_000)),
                interest=Decimal(rng.randrange(0, 20_000)),
                penalty=Decimal(rng.randrange(0, 8_000)),
                overdue_days=rng.randrange(0, 400),
                original_term_months=rng.choice([12, 24, 36, 60, 120]),
            )
            for k, line in enumerate(lines)
        ]
        income = Decimal(rng.randrange(4_000, 30_000))
        hardship = plans.Hardship(
            reasons=frozenset(
                rng.sample(["illness", "income_loss", "business_downturn", "force_majeure"], 2)
            ),
            monthly_income=income,
            essential_expenses=income * Decimal("0.55"),
        )
        people.append((debts, hardship))

    started = time.perf_counter()
    fast = [plans.recommend(d, measures, h) for d, h in people]
    fast_s = time.perf_counter() - started

    original = plans._max_payment

    def by_full_schedule(balance, months, grace, rate, fee):
        # The reference: build every candidate schedule and take its largest payment.
        return max(
            plans.schedule_payments(
                balance, months, grace=grace, annual_rate_pct=rate * 1200, fee_pct=fee * 100 / balance
            )
        )

    plans._max_payment = by_full_schedule
    try:
        started = time.perf_counter()
        slow = [plans.recommend(d, measures, h) for d, h in people[: max(1, args.applicants // 10)]]
        slow_s = (time.perf_counter() - started) * len(people) / len(slow)
    finally:
        plans._max_payment = original
    same = all(
        [o.months for o in a.best] == [o.months for o in b.best] for a, b in zip(fast, slow, strict=False)
    )
    options = sum(len(r.options) for rec in fast for r in rec.debts)
    print(
        json.dumps(
            {
                "bench": "credit_plan",
                "applicants": args.applicants,
                "debts_each": len(lines),
                "catalog": len(measures),
                "options_evaluated": options,
                "ms_per_applicant": round(1000 * fast_s / args.applicants, 3),
                "reference_full_schedule_ms_per_applicant": round(1000 * slow_s / args.applicants, 3),
                "speedup": round(slow_s / fast_s, 1),
                "same_plans": same,
            }
        )
    )


if __name__ == "__main__":
    main()
