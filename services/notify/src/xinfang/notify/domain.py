"""Notify's pure rules: who gets a notice, what it says, when to try again. No I/O."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from xinfang.common.clock import CHINA_TZ

REGISTRATION = "registration"  # 登记/转送告知: registered, and forwarded or assigned to whom

ROUTE_VERB = {"forward": "转送", "assign": "交办"}


class CaseNotReceived(Exception):
    """A step of a case arrived before the case itself; transient, so the event is retried."""


@dataclass(frozen=True)
class Contact:
    """One petitioner's contact details, as intake sealed them for notify. Never log one."""

    position: int
    name: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)

    @property
    def identity(self) -> str:
        """What makes two contacts the same recipient: the e-mail, or else the person's place."""
        return normalise_email(self.email) if self.email else f"contact:{self.position}"


@dataclass(frozen=True)
class Contacts:
    """What intake seals for notify: the case's query code and every petitioner's contacts."""

    query_code: str = field(repr=False)
    people: list[Contact]


def read_contacts(plain: str) -> Contacts:
    """Parse the opened `contact_sealed` JSON."""
    data = json.loads(plain)
    people = [
        Contact(
            position=position,
            name=str(person.get("name") or ""),
            email=person.get("email") or None,
            phone=person.get("phone") or None,
        )
        for position, person in enumerate(data.get("contacts", []))
    ]
    return Contacts(query_code=str(data.get("query_code") or ""), people=people)


def recipients(contacts: Contacts) -> list[Contact]:
    """One recipient per distinct address: petitioners sharing an e-mail get one notice."""
    seen: dict[str, Contact] = {}
    for contact in contacts.people:
        seen.setdefault(contact.identity, contact)
    return list(seen.values())


def normalise_email(email: str) -> str:
    return email.strip().lower()


def registration_step(department_code: str) -> str:
    """The step a registration notice is about: telling where the case went, once per place."""
    return f"routed:{department_code}"


def registration_facts(
    *, department_code: str, department_name: str, mode: str, routed_at: datetime
) -> dict[str, str]:
    """What a registration notice keeps of the routing, to render it at send time."""
    return {
        "department_code": department_code,
        "department_name": department_name,
        "mode": mode,
        "routed_at": routed_at.isoformat(),
    }


def registration_fields(facts: Mapping[str, str]) -> dict[str, str]:
    """The template fields a registration notice draws from its facts."""
    return {
        "department_name": facts["department_name"],
        "route_verb": ROUTE_VERB.get(facts["mode"], "转送"),
        "routed_date": chinese_date(datetime.fromisoformat(facts["routed_at"])),
    }


FIELDS_FROM_FACTS: dict[str, Callable[[Mapping[str, str]], dict[str, str]]] = {
    REGISTRATION: registration_fields,
}


def notice_fields(
    *,
    notice_type: str,
    facts: Mapping[str, str],
    case_no: str,
    title: str,
    received_at: datetime,
    name: str,
    query_code: str,
    authority: str,
    portal_url: str,
    today: datetime,
) -> dict[str, str]:
    """Every field a notice's template may use."""
    return {
        "case_no": case_no,
        "title": title,
        "received_date": chinese_date(received_at),
        "name": name,
        "query_code": query_code,
        "authority": authority,
        "portal_url": portal_url,
        "date": chinese_date(today),
        **FIELDS_FROM_FACTS[notice_type](facts),
    }


def chinese_date(moment: datetime) -> str:
    """A date as a formal letter writes it, in China time: 2026年11月22日."""
    day = moment.astimezone(CHINA_TZ)
    return f"{day.year}年{day.month}月{day.day}日"


def retry_delay(attempts: int, *, base: float, cap: float) -> timedelta:
    """The wait after `attempts` failed tries: base, 2·base, 4·base … never more than cap."""
    exponent = min(max(attempts - 1, 0), 32)
    return timedelta(seconds=min(base * 2**exponent, cap))


def gives_up(*, attempts: int, max_attempts: int, permanent: bool) -> bool:
    """Whether a failed notice stops being retried."""
    return permanent or attempts >= max_attempts
