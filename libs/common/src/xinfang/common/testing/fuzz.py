"""Schemathesis fuzzing of a service's OpenAPI, in-process: the app runs with its lifespan (real
database, real NATS where its settings say so) in one event loop of its own, every operation gets
positive and negative cases sent with each role's token, and every response must be no 5xx and
conform to the documented status codes, content types and body schemas.

A service's fuzz test is a few lines::

    with Fuzzing(create_app(settings)) as fuzz:
        case_no = fuzz.run(register_a_petition, fuzz.client)
        failures = fuzz.every_operation(callers=fuzz.callers(), known={"case_no": [case_no]})
    assert not failures, "\\n\\n".join(failures)

How many examples each operation gets comes from the Hypothesis profile: `xinfang-ci` (the
default, small and deterministic, for `make test`) or `xinfang-fuzz` (`make fuzz`).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
import requests
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from xinfang.common.auth import Role, issue_token

T = TypeVar("T")

BASE_URL = "http://testserver"
CI_PROFILE, FUZZ_PROFILE = "xinfang-ci", "xinfang-fuzz"
_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile(
    CI_PROFILE,
    max_examples=10,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
    # No shrinking in CI: the first failing example is reported as is, and the run stays short.
    phases=[Phase.explicit, Phase.generate],
)
settings.register_profile(
    FUZZ_PROFILE, max_examples=300, deadline=None, suppress_health_check=_QUIET
)


def _checks() -> list[Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


class Fuzzing:
    """An app served in-process for the length of a `with` block, and its OpenAPI to fuzz."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._stack = contextlib.ExitStack()
        self.portal: BlockingPortal
        self.client: httpx.AsyncClient
        # (operation label, status) → how many responses: shows how deep the cases reached.
        self.answered: Counter[tuple[str, int]] = Counter()

    def __enter__(self) -> Fuzzing:
        self.portal = self._stack.enter_context(start_blocking_portal())
        lifespan = self.app.router.lifespan_context(self.app)
        self._stack.enter_context(self.portal.wrap_async_context_manager(lifespan))
        transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=30)
        self._stack.callback(self.portal.call, self.client.aclose)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.close()

    def summary(self) -> str:
        """One line per operation and status: how many cases got that answer."""
        return "\n".join(
            f"{n:5d}  {status}  {label}" for (label, status), n in self.answered.items()
        )

    def run(self, function: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run `await function(*args)` in the app's event loop (seeding data, for instance)."""
        return self.portal.call(function, *args)

    def callers(self, *, department: str | None = None) -> dict[str, dict[str, str]]:
        """Headers of every kind of caller: anonymous and a token for each role (the handler of
        `department`)."""
        now = datetime.now(UTC)
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for role in Role:
            token = issue_token(
                secret=self.app.state.jwt_secret,
                sub=f"fuzz-{role.value}",
                roles=[role],
                now=now,
                department=department if role is Role.HANDLER else None,
            )
            headers[role.value] = {"Authorization": f"Bearer {token}"}
        return headers

    def every_operation(
        self,
        *,
        callers: Mapping[str, Mapping[str, str]],
        known: Mapping[str, list[str]] | None = None,
    ) -> list[str]:
        """Fuzz each documented operation; return one report per operation that failed.

        `known` maps a parameter name (path, query or header) to values that exist, so part of
        the cases reach past the 404 of an unknown id (a case number, a query code...).
        """
        import schemathesis

        spec = self.run(self.client.get, "/openapi.json").json()
        schema = schemathesis.openapi.from_dict(spec)
        failures = []
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]
            failure = self._fuzz(operation, callers, known or {})
            if failure is not None:
                failures.append(f"{operation.label}: {failure}")
        return failures

    def _fuzz(
        self,
        operation: Any,
        callers: Mapping[str, Mapping[str, str]],
        known: Mapping[str, list[str]],
    ) -> str | None:
        checks = _checks()

        @settings()
        @given(case=_cases(operation, known), caller=st.sampled_from(sorted(callers)))
        def fuzz(case: Any, caller: str) -> None:
            response = self.run(self._send, case, callers[caller])
            self.answered[(operation.label, response.status_code)] += 1
            case.validate_response(response, checks=checks)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as error:
            return f"{type(error).__name__}: {error}"
        return None

    async def _send(self, case: Any, headers: Mapping[str, str]) -> httpx.Response:
        # requests encodes the body exactly as schemathesis means it (JSON, form, multipart).
        prepared = requests.Request(**_requests_kwargs(case, headers)).prepare()
        return await self.client.request(
            prepared.method or "GET",
            prepared.url or BASE_URL,
            headers={k: str(v) for k, v in prepared.headers.items()},
            content=prepared.body,  # type: ignore[arg-type]
        )


def _requests_kwargs(case: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=dict(headers))
    return {k: v for k, v in kwargs.items() if k not in ("timeout", "verify", "allow_redirects")}


def _cases(operation: Any, known: Mapping[str, list[str]]) -> st.SearchStrategy[Any]:
    """Positive and negative cases, and positive cases whose parameters take known values."""
    from schemathesis import GenerationMode

    strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    names = set(_parameters(operation))
    path = {n: v for n, v in known.items() if ("path", n) in names}
    query = {n: v for n, v in known.items() if ("query", n) in names}
    header = {n: v for n, v in known.items() if ("header", n) in names}
    if path or query or header:
        known_cases = st.tuples(_pick(path), _pick(query), _pick(header)).flatmap(
            lambda chosen: operation.as_strategy(
                path_parameters=chosen[0] or None,
                query=chosen[1] or None,
                headers=chosen[2] or None,
            )
        )
        # Half the cases, so that each role meets an existing case often enough.
        strategies = [known_cases, known_cases, *strategies]
    return st.one_of(strategies)


def _pick(values: Mapping[str, list[str]]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({name: st.sampled_from(v) for name, v in values.items()})


def _parameters(operation: Any) -> Iterator[tuple[str, str]]:
    for group in (operation.path_parameters, operation.query, operation.headers):
        for parameter in group:
            yield parameter.location.value, parameter.name
