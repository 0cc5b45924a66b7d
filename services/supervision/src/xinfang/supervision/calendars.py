"""Year notices a deployment loads: one JSON file per year in `calendar_dir`.

A file `2027.json` reads
`{"year": 2027, "holidays": {"2027-01-01": "New Year's Day", …}, "workdays": ["2027-02-20", …]}`:
each public holiday with the `chinese_calendar.Holiday` value it belongs to (or null), and each
make-up working day (调休上班). A sample lives in `reference/calendars/`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from chinese_calendar.constants import Holiday
from pydantic import BaseModel, ConfigDict, model_validator

from xinfang.common.workdays import WorkCalendar, YearNotice

SAMPLE_DIR = Path(__file__).parent / "reference" / "calendars"


class NoticeFile(BaseModel):
    """The shape of one year's file; every date must fall in its year."""

    model_config = ConfigDict(extra="forbid")

    year: int
    holidays: dict[date, str | None]
    workdays: list[date] = []

    @model_validator(mode="after")
    def _dates_in_year(self) -> NoticeFile:
        stray = [d for d in [*self.holidays, *self.workdays] if d.year != self.year]
        if stray:
            raise ValueError(f"dates outside {self.year}: {stray}")
        return self

    def notice(self) -> YearNotice:
        names = {h.value: h for h in Holiday}
        return YearNotice(
            year=self.year,
            holidays={d: names.get(n or "") for d, n in self.holidays.items()},
            workdays=frozenset(self.workdays),
        )


def load_dir(directory: Path | None) -> WorkCalendar:
    """Every `<year>.json` in `directory` (none when it is None or missing)."""
    if directory is None or not directory.is_dir():
        return WorkCalendar()
    notices = {}
    for path in sorted(directory.glob("[0-9][0-9][0-9][0-9].json")):
        parsed = NoticeFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
        notices[parsed.year] = parsed.notice()
    return WorkCalendar(notices=notices)


def years_in(directory: Path | None) -> frozenset[int]:
    """The years `directory` has files for, cheaply (names only)."""
    if directory is None or not directory.is_dir():
        return frozenset()
    return frozenset(int(p.stem) for p in directory.glob("[0-9][0-9][0-9][0-9].json"))
