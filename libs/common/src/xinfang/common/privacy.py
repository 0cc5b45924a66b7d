"""Masking of personal data for events, logs and department views."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三丰 → 张*丰; 李四 → 李*; an organisation keeps its first two characters."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    if len(name) > 4:
        return name[:2] + "*" * (len(name) - 2)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13800138000 → 138****8000; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 1) + digits[-2:]


def mask_email(email: str) -> str:
    """zhang.san@example.cn → z***@example.cn."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else mask_name(email)


def mask_address(address: str) -> str:
    """Keep the first six characters (district, street), hide the rest."""
    return address[:6] + "***" if len(address) > 6 else address[:1] + "***"


def mask(value: str) -> str:
    """A generic mask for a value of unknown kind."""
    if "@" in value:
        return mask_email(value)
    if value.replace("+", "").replace("-", "").isdigit():
        return mask_phone(value)
    return mask_name(value)
