"""Load the shipped official calendar (data/calendar.json) into CalendarDay; idempotent."""

import json
from pathlib import Path

PATH = Path(__file__).parent / "data" / "calendar.json"


def load_calendar(CalendarDay, CalendarYear, path: Path = PATH) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for year, spec in data.items():
        if not year.isdigit():
            continue
        for kind in ("holiday", "workday"):
            for name, days in spec.get(kind, {}).items():
                for day in days:
                    CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
                    count += 1
        CalendarYear.objects.update_or_create(year=int(year), defaults={"source": spec.get("source", "")})
    return count
