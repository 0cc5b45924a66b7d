"""Notify's settings: the defaults a developer gets, and what production refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from xinfang.common.crypto import derive_key
from xinfang.notify.settings import DEV_SECRET, NotifySettings

REAL_KEYS = {
    "notice_key": derive_key("real", "notice"),
    "hash_key": derive_key("real", "hash"),
    "sms_secret": derive_key("real", "sms"),
}


def test_the_defaults_open_what_a_development_intake_seals() -> None:
    settings = NotifySettings()

    assert settings.notice_key == derive_key(DEV_SECRET, "notice")
    assert (settings.service_name, settings.port, settings.smtp_port) == ("notify", 8004, 1025)


def test_production_refuses_the_development_keys() -> None:
    with pytest.raises(ValidationError, match="NOTICE_KEY"):
        NotifySettings(environment="production", jwt_secret="x" * 40)


def test_production_accepts_real_keys() -> None:
    settings = NotifySettings(environment="production", jwt_secret="x" * 40, **REAL_KEYS)

    assert settings.environment == "production"


def test_a_lease_shorter_than_a_slow_send_is_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE_SECONDS"):
        NotifySettings(smtp_timeout=30, lease_seconds=45)


def test_settings_come_from_notify_s_own_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XINFANG_NOTIFY_SMTP_PORT", "2525")
    monkeypatch.setenv("XINFANG_INTAKE_PORT", "9999")

    settings = NotifySettings()

    assert (settings.smtp_port, settings.port) == (2525, 8004)
