from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from xinfang.common.auth import Role, issue_token, verify_token
from xinfang.common.crypto import Sealer, keyed_hash
from xinfang.common.errors import ApiError
from xinfang.common.privacy import mask_address, mask_email, mask_name, mask_phone
from xinfang.common.settings import BaseServiceSettings

NOW = datetime.now(UTC)
SECRET = "a-test-secret-of-at-least-32-bytes!"
OTHER = "another-secret-of-at-least-32-bytes"


def test_a_token_carries_roles_scopes_and_department():
    token = issue_token(
        secret=SECRET, sub="u1", roles=[Role.HANDLER], department="C_EDU", scopes=["x"], now=NOW
    )
    principal = verify_token(token, secret=SECRET, audience="routing")
    assert principal.roles == [Role.HANDLER]
    assert principal.department == "C_EDU"
    assert principal.scopes == ["x"]


def test_a_token_signed_with_another_secret_is_refused_with_401():
    token = issue_token(secret=OTHER, sub="u1", roles=[Role.ADMIN], now=NOW)
    with pytest.raises(ApiError) as refused:
        verify_token(token, secret=SECRET, audience="routing")
    assert refused.value.status == 401


def test_an_expired_token_is_refused():
    token = issue_token(
        secret=SECRET,
        sub="u1",
        roles=[Role.ADMIN],
        now=NOW - timedelta(days=2),
        ttl=timedelta(hours=1),
    )
    with pytest.raises(ApiError):
        verify_token(token, secret=SECRET, audience="routing")


def test_production_refuses_the_default_jwt_secret():
    with pytest.raises(ValidationError, match="jwt_secret"):
        BaseServiceSettings(environment="production")
    with pytest.raises(ValidationError, match="32"):
        BaseServiceSettings(environment="production", jwt_secret="short")
    assert BaseServiceSettings(environment="production", jwt_secret=OTHER)


def test_sealed_values_open_after_a_key_rotation():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = Sealer([old_key]).seal("张三丰")
    rotated = Sealer([new_key, old_key])
    assert rotated.open(sealed) == "张三丰"
    assert Sealer([new_key]).open(rotated.rotate(sealed)) == "张三丰"
    with pytest.raises(ValueError):
        Sealer([new_key]).open(sealed)


def test_keyed_hashes_match_equal_values_and_depend_on_the_key():
    assert keyed_hash("x", key="k") == keyed_hash("x", key="k")
    assert keyed_hash("x", key="k") != keyed_hash("x", key="other")


@pytest.mark.parametrize(
    ("masker", "value", "masked"),
    [
        (mask_name, "张三丰", "张*丰"),
        (mask_name, "李四", "李*"),
        (mask_name, "江宁市某某建筑公司", "江宁*******"),
        (mask_phone, "13800138000", "138****8000"),
        (mask_email, "zhang.san@example.cn", "z***@example.cn"),
        (mask_address, "江城区鼓楼街道解放路1号", "江城区鼓楼街***"),
    ],
)
def test_personal_data_is_masked(masker, value, masked):
    assert masker(value) == masked


def test_the_command_line_prints_a_token_the_services_accept(capsys):
    from xinfang.common.auth import main
    from xinfang.common.settings import DEFAULT_JWT_SECRET

    main(["token", "--role", "handler", "--department", "C_EDU", "--secret", DEFAULT_JWT_SECRET])
    principal = verify_token(
        capsys.readouterr().out.strip(), secret=DEFAULT_JWT_SECRET, audience="supervision"
    )
    assert principal.roles == [Role.HANDLER]
    assert principal.department == "C_EDU"


def test_the_command_line_issues_a_token_for_the_named_services_only(capsys):
    from xinfang.common.auth import main
    from xinfang.common.settings import DEFAULT_JWT_SECRET

    main(["token", "--role", "clerk", "--audience", "intake", "--secret", DEFAULT_JWT_SECRET])
    token = capsys.readouterr().out.strip()
    assert verify_token(token, secret=DEFAULT_JWT_SECRET, audience="intake").roles == [Role.CLERK]
    with pytest.raises(ApiError) as refused:
        verify_token(token, secret=DEFAULT_JWT_SECRET, audience="notify")
    assert refused.value.status == 401
