"""Delivery channels behind one small interface (`Channel`): e-mail over SMTP, SMS through an HTTP
gateway, signed webhooks, printable PDF letters, in-portal notices, and a test double."""

from xinfang.notify.channels.base import Channel, DeliveryError, OutboundMessage

__all__ = ["Channel", "DeliveryError", "OutboundMessage"]
