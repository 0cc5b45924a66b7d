"""Petitions as GeoReport v2 service requests, and form fields as a petition."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from xinfang.common.clock import CHINA_TZ
from xinfang.intake import domain
from xinfang.intake.models import Petition, PetitionCreate, TimelineEntry

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

CLOSED = {"refused", "answered", "finalised"}
NOTICE = (
    "已登记，将在15日内转送有权处理的机关 / "
    "registered; sent on to the competent body within 15 days"
)


def visible(petition: Petition) -> bool:
    """Filed through Open311, or its petitioner agreed to publication; never a confidential one,
    never an accusation (检举控告: the accused must not learn of it, nor the public)."""
    flags = json.loads(petition.flags)
    if flags.get("confidential") or petition.matter_type == "accusation":
        return False
    return petition.channel == "open311" or bool(flags.get("public_consent"))


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds") if moment else None


def service_request(
    intake: Intake, p: Petition, entries: list[TimelineEntry], *, notes: bool
) -> dict[str, Any]:
    """One service request; `expected_datetime` is the end of the current deadline's day."""
    category = intake.categories.get(p.category_code)
    expected = (
        datetime.combine(p.deadline_due_on, time(23, 59, 59), CHINA_TZ)
        if p.deadline_due_on
        else None
    )
    last = entries[-1] if entries else None
    request: dict[str, Any] = {
        "service_request_id": p.case_no,
        "status": "closed" if p.status in CLOSED else "open",
        "status_notes": domain.status_zh(p.status, p.status_zh) if last else None,
        "service_name": category.name if category else p.category_code,
        "service_code": p.category_code,
        "description": p.content,
        "agency_responsible": p.department_name,
        "service_notice": NOTICE,
        "requested_datetime": _iso(p.received_at),
        "updated_datetime": _iso(p.updated_at or p.received_at),
        "expected_datetime": _iso(expected),
        "address": intake.regions[p.region_code].name if p.region_code in intake.regions else None,
        "address_id": p.region_code,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if notes:
        request["notes"] = [
            {"datetime": _iso(e.at), "description": _note(e), "type": e.event_type} for e in entries
        ]
    return request


def _note(entry: TimelineEntry) -> str:
    details = json.loads(entry.details)
    shown = [
        str(v) for k, v in details.items() if k in ("department", "due_on", "summary", "reason")
    ]
    return " ".join([entry.event_type.removeprefix("xinfang.").rsplit(".", 1)[0], *shown])


def petition_from_form(form: dict[str, str], attributes: dict[str, str]) -> PetitionCreate:
    """A GeoReport POST as a petition: the caller's name, phone, e-mail and address_string are
    the petitioner; `description` is the facts; request, reasons and the division code come
    as attributes."""
    name = " ".join(n for n in (form.get("last_name"), form.get("first_name")) if n) or None
    description = form.get("description") or None
    person = {
        "name": name,
        "phone": form.get("phone") or None,
        "email": form.get("email") or None,
        "address": form.get("address_string") or None,
    }
    title = (description or form.get("service_code") or "")[:30]
    return PetitionCreate.model_validate(
        {
            "channel": "open311",
            "petitioners": [person],
            "region_code": attributes.get("region_code") or form.get("address_id"),
            "category_code": form.get("service_code"),
            "matter_type": attributes.get("matter_type") or "appeal",
            "title": title if len(title) >= 2 else "Open311",
            "facts": description,
            "request": attributes.get("request"),
            "reasons": attributes.get("reasons"),
            "flags": {"public_consent": attributes.get("public_consent") == "true"},
        }
    )
