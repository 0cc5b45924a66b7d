"""Notify's pure rules: who gets a notice, on which channels, when to try again. No I/O."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from xinfang.common.clock import CHINA_TZ
from xinfang.common.privacy import mask_email, mask_name, mask_phone

REGISTRATION = "registration"  # 登记/转送告知: registered, and forwarded or assigned to whom
PORTAL = "portal"
LETTER = "letter"


class CaseNotReceived(Exception):
    """A step of a case arrived before the case itself; transient, so the event is retried."""


@dataclass(frozen=True)
class Contact:
    """One petitioner's contact details, as intake sealed them for notify. Never log one.

    `preferred` (sms, email or letter), `address` and `locale` are optional keys of the sealed
    JSON: a petitioner without them is written to by e-mail, in Chinese, by name only on a letter.
    """

    position: int
    name: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    address: str | None = field(default=None, repr=False)
    preferred: str | None = None
    locale: str = "zh"

    @property
    def identity(self) -> str:
        """What makes two contacts the same recipient: the e-mail, or else the person's place."""
        return normalise_email(self.email) if self.email else f"contact:{self.position}"

    def address_for(self, channel: str) -> str | None:
        """Where `channel` reaches this person; a letter goes to the name (and address)."""
        if channel == LETTER:
            return "\n".join(part for part in (self.address, self.name) if part) or None
        return {"email": self.email, "sms": self.phone}.get(channel)

    def masked_for(self, channel: str) -> str | None:
        if channel == "email" and self.email:
            return mask_email(self.email)
        if channel == "sms" and self.phone:
            return mask_phone(self.phone)
        if channel == LETTER:
            return f"letter:{mask_name(self.name)}" if self.name else "letter"
        return None


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
            address=person.get("address") or None,
            preferred=person.get("preferred_channel") or None,
            locale="en" if person.get("locale") == "en" else "zh",
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


def petitioner_chain(contact: Contact, *, default: str, order: Sequence[str]) -> list[str]:
    """The channels to try for a petitioner: the preferred one, then the next ones in `order`
    (SMS → e-mail → letter), skipping those the petitioner gave no address for."""
    preferred = contact.preferred if contact.preferred in order else default
    start = list(order).index(preferred) if preferred and preferred in order else 0
    return [c for c in list(order)[start:] if contact.address_for(c)]


def staff_chain(preferred: str | None, available: Sequence[str]) -> list[str]:
    """A department's or leader's channels: the preferred one first, then the others it has."""
    first = [preferred] if preferred and preferred in available else []
    return first + [c for c in available if c != preferred]


def retry_delay(attempts: int, *, base: float, cap: float) -> timedelta:
    """The wait after `attempts` failed tries: base, 2·base, 4·base … never more than cap."""
    exponent = min(max(attempts - 1, 0), 32)
    return timedelta(seconds=min(base * 2**exponent, cap))


def gives_up(*, attempts: int, max_attempts: int, permanent: bool) -> bool:
    """Whether a channel stops being retried for a notice."""
    return permanent or attempts >= max_attempts


def quiet_until(moment: datetime, *, start_hour: int, end_hour: int) -> datetime | None:
    """The end of the quiet hours `moment` falls in (China time), or None outside them.

    With start 22 and end 8, 23:30 and 06:00 both wait until the next 08:00.
    """
    local = moment.astimezone(CHINA_TZ)
    if start_hour == end_hour:
        return None
    hour = local.hour
    quiet = (
        start_hour <= hour or hour < end_hour
        if start_hour > end_hour
        else start_hour <= hour < end_hour
    )
    if not quiet:
        return None
    morning = datetime.combine(local.date(), time(end_hour), tzinfo=CHINA_TZ)
    if hour >= end_hour:
        morning += timedelta(days=1)
    return morning
