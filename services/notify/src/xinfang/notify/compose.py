"""Rendering a notice for its recipient at send time, on the channel it is now on.

The contacts are opened for this moment only; nothing in clear is stored or logged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from xinfang.common.events import PoisonMessage
from xinfang.notify import repository, templates
from xinfang.notify.channels import DeliveryError, OutboundMessage
from xinfang.notify.handlers import open_contacts
from xinfang.notify.models import CaseRecord, NoticeRecord

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify


async def compose(notify: Notify, *, notice_id: str) -> tuple[OutboundMessage, str | None]:
    """The message for a claimed notice, and its recipient masked for the outcome event."""
    composed = (await compose_all(notify, notice_ids=[notice_id]))[notice_id]
    if isinstance(composed, DeliveryError):
        raise composed
    return composed


async def compose_all(
    notify: Notify, *, notice_ids: list[str]
) -> dict[str, tuple[OutboundMessage, str | None] | DeliveryError]:
    """Each claimed notice's message (or why it cannot have one), read in two queries."""
    async with notify.db.reading() as session:
        notices = await repository.notices_by_id(session, notice_ids=notice_ids)
        case_nos = {n.case_no for n in notices.values() if n.case_no}
        cases = await repository.cases_by_no(session, case_nos=case_nos)
    composed: dict[str, tuple[OutboundMessage, str | None] | DeliveryError] = {}
    for notice_id in notice_ids:
        try:
            composed[notice_id] = _compose_one(notify, notices.get(notice_id), cases)
        except DeliveryError as exc:
            composed[notice_id] = exc
    return composed


def _compose_one(
    notify: Notify, notice: NoticeRecord | None, cases: dict[str, CaseRecord]
) -> tuple[OutboundMessage, str | None]:
    case = cases.get(notice.case_no) if notice is not None and notice.case_no else None
    if notice is None or (notice.case_no and case is None):
        raise DeliveryError("not_deliverable", "notice or case missing", permanent=True)
    fields = base_fields(notify, notice, case)
    if notice.audience == "petitioner":
        address, masked, secret, locale = _petitioner(notify, notice, case, fields)
    else:
        address, masked, secret, locale = _staff(notify, notice, fields)
    rendered = templates.render(notice.template, fields, locale=locale)
    message = OutboundMessage(
        notice_id=notice.id,
        case_no=notice.case_no,
        notice_type=notice.notice_type,
        channel=notice.channel,
        recipient=address,
        subject=rendered.subject,
        body=rendered.body,
        sms=rendered.sms,
        audience=notice.audience,
        locale=locale,
        secret=secret,
    )
    return message, masked


def base_fields(notify: Notify, notice: NoticeRecord, case: CaseRecord | None) -> dict[str, str]:
    """Every field a template may use, before the recipient's own."""
    facts: dict[str, str] = json.loads(notice.facts)
    settings = notify.settings
    names = json.loads(case.department_names or "{}") if case else {}
    code = facts.get("department_code", "")
    known = notify.directory.department(code)
    return {
        "case_no": notice.case_no,
        "title": case.title if case else "",
        "received_date": case.received_at.isoformat() if case else "",
        "authority": settings.authority_name,
        "portal_url": settings.portal_url,
        "date": notice.created_at.isoformat(),
        "channel": notice.channel,
        "name": "",
        "query_code": "",
        "department_name": names.get(code) or (known.name if known else code),
        "petitioners_zh": "依法保密"
        if case is None or case.confidential
        else case.petitioners_masked,
        "petitioners_en": "withheld"
        if case is None or case.confidential
        else case.petitioners_masked,
        **facts,
    }


def _petitioner(
    notify: Notify, notice: NoticeRecord, case: CaseRecord | None, fields: dict[str, str]
) -> tuple[str, str | None, None, str]:
    try:
        contacts = open_contacts(notify, case) if case else None
    except PoisonMessage as exc:
        raise DeliveryError("contacts_unreadable", "sealed contacts cannot be opened") from exc
    if contacts is None or notice.contact_position >= len(contacts.people):
        raise DeliveryError("not_deliverable", "the case's contacts lack the recipient")
    contact = contacts.people[notice.contact_position]
    address = contact.address_for(notice.channel)
    if not address:
        raise DeliveryError("no_address", f"no address for {notice.channel}", permanent=True)
    fields |= {"name": contact.name, "query_code": contacts.query_code}
    return address, contact.masked_for(notice.channel), None, contact.locale


def _staff(
    notify: Notify, notice: NoticeRecord, fields: dict[str, str]
) -> tuple[str, str | None, str | None, str]:
    endpoint = notify.directory.find(audience=notice.audience, ref=notice.recipient_ref)
    address = endpoint.address_for(notice.channel) if endpoint else None
    if endpoint is None or not address:
        raise DeliveryError("no_address", f"directory lacks {notice.recipient_ref}", permanent=True)
    fields["name"] = endpoint.name
    if notice.audience == "department":
        fields["department_name"] = endpoint.name
    secret = endpoint.webhook_secret if notice.channel == "webhook" else None
    return address, endpoint.ref, secret, "zh"
