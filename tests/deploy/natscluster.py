"""A 3-node nats-server cluster on this machine (distinct client, route and monitor ports and
stores), with the generated authorization, and the four services running against it."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from harness import SERVICES, System, _distinct_free_ports
from natsauth import ConfiguredNatsServer, generate, password_env, passwords

from xinfang.common.messaging import provision

CLUSTER_NAME = "xinfang-test"
NODES = 3
FORM_TIMEOUT_SECONDS = 30.0


class NatsCluster:
    """Three nats-server processes routed to each other; each can be killed and restarted."""

    def __init__(self, root: Path, *, env: dict[str, str], avoid: set[int]) -> None:
        ports = _distinct_free_ports(3 * NODES, avoid=avoid)
        client, route, monitor = ports[:NODES], ports[NODES : 2 * NODES], ports[2 * NODES :]
        self.nodes: list[ConfiguredNatsServer] = []
        for i in range(NODES):
            routes = ", ".join(f"nats-route://127.0.0.1:{p}" for j, p in enumerate(route) if j != i)
            extra = (
                f"server_name: n{i + 1}\n"
                f"cluster {{\n  name: {CLUSTER_NAME}\n  listen: 127.0.0.1:{route[i]}\n"
                f"  routes: [{routes}]\n}}\n"
                "include ./auth.conf\n"
            )
            store = root / f"n{i + 1}"
            store.mkdir(parents=True, exist_ok=True)
            auth = generate.render(generate.plan(generate.load_departments()))
            (store / "auth.conf").write_text(auth, encoding="utf-8")
            self.nodes.append(
                ConfiguredNatsServer(
                    store,
                    extra_config=extra,
                    env=env,
                    port=client[i],
                    monitor_port=monitor[i],
                )
            )

    @property
    def url(self) -> str:
        """Every node, comma-separated, as the services take it."""
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def node(self, server_name: str) -> ConfiguredNatsServer:
        return self.nodes[int(server_name.removeprefix("n")) - 1]

    def jsz(self, node: ConfiguredNatsServer, query: str) -> dict[str, Any]:
        url = f"{node.monitor_url}/jsz?{query}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return dict(json.load(response))

    def stream_leader(self, stream: str = "XINFANG") -> str | None:
        """The server name of the stream's leader, as a running node reports it."""
        for node in self.running_nodes():
            for account in self.jsz(node, "streams=true").get("account_details", []):
                for detail in account.get("stream_detail", []):
                    if detail["name"] == stream and detail.get("cluster", {}).get("leader"):
                        return str(detail["cluster"]["leader"])
        return None

    def stream_replicas(self, stream: str = "XINFANG") -> list[dict[str, Any]]:
        """The replicas (followers) the stream's leader reports, with `current` and `lag`."""
        return [
            replica
            for detail in self._leading("streams=true", lambda d: d["name"] == stream)
            for replica in detail.get("cluster", {}).get("replicas", [])
        ]

    def consumers(self) -> list[dict[str, Any]]:
        """Each durable consumer as its leader reports it."""
        return self._leading("consumers=true", None)

    def _leading(self, query: str, stream_filter: Any) -> list[dict[str, Any]]:
        """Stream details (or, with `consumers=true`, consumer details) from the node leading
        each: a follower's view may lag."""
        found = []
        for number, node in enumerate(self.nodes, start=1):
            if not node.running:
                continue
            try:
                report = self.jsz(node, query)
            except OSError:
                continue
            for account in report.get("account_details", []):
                for stream in account.get("stream_detail", []):
                    details = (
                        [stream] if stream_filter is not None else stream.get("consumer_detail", [])
                    )
                    if stream_filter is not None and not stream_filter(stream):
                        continue
                    found += [
                        d for d in details if d.get("cluster", {}).get("leader") == f"n{number}"
                    ]
        return found

    def running_nodes(self) -> list[ConfiguredNatsServer]:
        return [node for node in self.nodes if node.running]


class ClusterSystem(System):
    """The harness's system, but on the NATS cluster with the generated users, PostgreSQL
    databases, short ack waits (a message whose ack died with a node comes back sooner) and a
    second instance of every service (`<service>-2`: its own port and INSTANCE_ID, the same
    database and durable consumer)."""

    def __init__(self, root: Path, *, databases: dict[str, str], ack_wait: float) -> None:
        super().__init__(root)
        self.second = [f"{svc}-2" for svc in SERVICES]
        self.ports |= dict(
            zip(
                self.second,
                _distinct_free_ports(len(self.second), avoid=set(self.ports.values())),
                strict=True,
            )
        )
        self.users = passwords(generate.load_departments())
        self.databases = databases
        self.ack_wait = ack_wait
        taken = {*self.ports.values(), self.smtp_port, self.nats.port, self.nats.monitor_port}
        self.cluster = NatsCluster(
            self.root / "cluster", env=password_env(self.users), avoid=taken | {4222}
        )

    def up(self) -> ClusterSystem:
        self.cluster.start()
        asyncio.run(self._provision())
        self._start_smtp()
        self.start(*SERVICES)
        # The second instances once the first are ready: the test watches two instances share
        # work, not a start-up race (test_multi_instance.py covers instances migrating together).
        self.start(*self.second)
        return self

    def stop(self) -> None:
        super().stop()
        self.cluster.stop()

    def consumers(self) -> list[dict[str, Any]]:
        return self.cluster.consumers()

    def _env(self, name: str) -> dict[str, str]:
        service, _, instance = name.partition("-")
        env = super()._env(service)
        prefix = f"XINFANG_{service.upper()}_"
        env |= {
            f"{prefix}PORT": str(self.ports[f"{service}-{instance}" if instance else service]),
            f"{prefix}INSTANCE_ID": instance or "1",
            f"{prefix}NATS_URL": self.cluster.url,
            f"{prefix}NATS_USER": service,
            f"{prefix}NATS_PASSWORD": self.users[service],
            f"{prefix}STREAM_REPLICAS": "3",
            f"{prefix}DATABASE_URL": self.databases[service],
            f"{prefix}CONSUMER_ACK_WAIT_SECONDS": str(self.ack_wait),
        }
        return env

    async def _provision(self) -> None:
        """Create the 3-replica stream as the deployment's job does, once the cluster has a
        JetStream meta leader (until then the API answers with errors or not at all)."""
        deadline = time.monotonic() + FORM_TIMEOUT_SECONDS
        while True:
            try:
                await provision.provision(
                    url=self.cluster.url,
                    user="provisioner",
                    password=self.users["provisioner"],
                    replicas=3,
                    departments=[],
                )
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
