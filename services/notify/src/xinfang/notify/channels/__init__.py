"""Delivery channels: one small interface (`Channel`), e-mail over SMTP, and a test double."""

from xinfang.notify.channels.base import Channel, DeliveryError, OutboundMessage

__all__ = ["Channel", "DeliveryError", "OutboundMessage"]
