"""JWT bearer tokens with roles and scopes; a department handler is scoped to its department.

A token names the services it is good for in `aud` (all four unless issued for fewer); each
service accepts only tokens that name it. Who may call what is the table in the README
("Who may do what"), checked by each service's authorisation matrix test.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel

from xinfang.common.errors import ApiError, http_error

ALGORITHM = "HS256"
ISSUER = "xinfang"
SERVICES = ("intake", "routing", "supervision", "notify")
REQUIRED_CLAIMS = ["iss", "sub", "aud", "iat", "exp"]
CLOCK_SKEW = timedelta(seconds=30)


class Role(StrEnum):
    PETITIONER = "petitioner"
    CLERK = "clerk"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    ADMIN = "admin"
    OPERATOR = "operator"


class Principal(BaseModel):
    """Who is calling: subject, roles, scopes and, for handlers, their department."""

    sub: str
    roles: list[Role]
    scopes: list[str] = []
    department: str | None = None

    def has_any(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)


def issue_token(
    *,
    secret: str,
    sub: str,
    roles: list[Role],
    now: datetime,
    scopes: list[str] | None = None,
    department: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    audience: Sequence[str] = SERVICES,
) -> str:
    """Sign a bearer token, good from `now` for `ttl` at the services named in `audience`."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": list(audience),
        "sub": sub,
        "roles": [r.value for r in roles],
        "scope": " ".join(scopes or []),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if department:
        claims["dept"] = department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, *, secret: str, audience: str) -> Principal:
    """Check signature (HS256 only), issuer, audience (this service's name), issue time, not
    before and expiry, with half a minute of clock skew; ApiError 401 otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=audience,
            leeway=CLOCK_SKEW,
            options={"require": REQUIRED_CLAIMS},
        )
        return Principal(
            sub=claims["sub"],
            roles=[Role(r) for r in claims.get("roles", [])],
            scopes=[s for s in claims.get("scope", "").split() if s],
            department=claims.get("dept"),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise http_error(401, field="Authorization", en=f"invalid bearer token: {exc}") from exc


def token_principal(request: Request, token: str) -> Principal:
    """`token` verified for the app serving `request` (its state holds the secret and the
    service's name); for tokens a page takes from a cookie or a form field."""
    state = request.app.state
    return verify_token(token, secret=state.jwt_secret, audience=state.jwt_audience)


def principal_from(request: Request) -> Principal:
    """The verified principal of a request's `Authorization: Bearer` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise http_error(401, field="Authorization", en="a bearer token is required")
    return token_principal(request, token)


CurrentPrincipal = Annotated[Principal, Depends(principal_from)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that lets through only the given roles (admin always)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles, Role.ADMIN):
            raise ApiError(
                403,
                "forbidden",
                "无权执行此操作",
                f"one of the roles {[r.value for r in roles]} is required",
            )
        return principal

    return check


def main(argv: list[str] | None = None) -> None:
    """`python -m xinfang.common.auth token --role operator`: print a bearer token."""
    import argparse
    import os
    from datetime import UTC

    from xinfang.common.settings import DEFAULT_JWT_SECRET

    parser = argparse.ArgumentParser(prog="python -m xinfang.common.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="issue a bearer token")
    token.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    token.add_argument("--sub", default="cli")
    token.add_argument("--department", help="department code, for handlers")
    token.add_argument("--hours", type=float, default=8.0)
    token.add_argument(
        "--audience",
        action="append",
        choices=SERVICES,
        help="a service the token is good for (repeatable; default: all four)",
    )
    token.add_argument(
        "--secret",
        default=os.environ.get("XINFANG_JWT_SECRET", DEFAULT_JWT_SECRET),
        help="signing secret (default: $XINFANG_JWT_SECRET or the development secret)",
    )
    args = parser.parse_args(argv)
    print(
        issue_token(
            secret=args.secret,
            sub=args.sub,
            roles=[Role(r) for r in args.role],
            department=args.department,
            now=datetime.now(UTC),
            ttl=timedelta(hours=args.hours),
            audience=args.audience or SERVICES,
        )
    )


if __name__ == "__main__":
    main()
