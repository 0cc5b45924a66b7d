"""nats-server processes configured as we deploy them: the generated authorization block
(deploy/nats/auth.conf's content, with passwords from the environment) and, for a cluster,
routes between the nodes. Shared by the permission and cluster tests."""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType

from xinfang.common.testing.nats_server import NatsServer

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def load_deploy_module(relative: str, name: str) -> ModuleType:
    """Import a script of deploy/ (not a package) by path."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DEPLOY / relative)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = load_deploy_module("nats/generate.py", "xinfang_deploy_nats_generate")


def passwords(departments: list[tuple[str, str]]) -> dict[str, str]:
    """A fresh password for every user of the plan, by user name."""
    return {u.name: generate.new_password() for u in generate.plan(departments).users}


def password_env(users: dict[str, str]) -> dict[str, str]:
    """The environment nats-server resolves auth.conf's `$XINFANG_NATS_…_PASSWORD` from."""
    return {generate.password_var(name): password for name, password in users.items()}


# The proposed NatsServer(extra_config=, env=) (issue 7's report); until it lands, this class adds
# both itself. Either way it must add the config once.
_NATS_SERVER_TAKES_EXTRA = "extra_config" in inspect.signature(NatsServer.__init__).parameters


class ConfiguredNatsServer(NatsServer):
    """A NatsServer whose config gets extra text (auth, cluster) and whose process gets extra
    environment variables (the passwords auth.conf refers to)."""

    def __init__(
        self,
        store_dir: Path,
        *,
        extra_config: str = "",
        env: dict[str, str] | None = None,
        port: int | None = None,
        monitor_port: int | None = None,
    ) -> None:
        if _NATS_SERVER_TAKES_EXTRA:
            kwargs: dict[str, object] = {"extra_config": extra_config, "env": env}
            super().__init__(store_dir, port=port, monitor_port=monitor_port, **kwargs)  # type: ignore[arg-type]
            return
        super().__init__(store_dir, port=port, monitor_port=monitor_port)
        self.extra_config = extra_config
        self.env = env or {}

    def _config(self) -> str:
        base = super()._config()
        return base if _NATS_SERVER_TAKES_EXTRA else base + self.extra_config

    def start(self) -> None:
        if _NATS_SERVER_TAKES_EXTRA:
            super().start()
            return
        # NatsServer starts the process with this process's environment.
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            super().start()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
