"""The nats-server fixture runs a real, durable JetStream server."""

from __future__ import annotations

import json
import secrets
import urllib.request

import nats

from xinfang.common.testing.nats_server import NatsServer


async def test_a_message_acked_by_jetstream_survives_a_sigkill_of_the_server(
    nats_server: NatsServer, nats_url: str
) -> None:
    token = secrets.token_hex(4)
    stream, subject = f"T_{token}", f"t.{token}.one"
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await js.add_stream(name=stream, subjects=[f"t.{token}.>"])
    ack = await js.publish(subject, "第一件".encode(), headers={"Nats-Msg-Id": token})
    await client.close()

    nats_server.kill()
    assert not nats_server.running
    nats_server.restart()

    client = await nats.connect(nats_server.url)
    try:
        js = client.jetstream()
        stored = await js.get_msg(stream, ack.seq)
        assert stored.subject == subject
        assert stored.data == "第一件".encode()
        await js.delete_stream(stream)
    finally:
        await client.close()


def test_the_server_restarts_on_the_same_ports(nats_server: NatsServer, nats_url: str) -> None:
    port, monitor_port = nats_server.port, nats_server.monitor_port
    nats_server.restart()
    assert (nats_server.port, nats_server.monitor_port) == (port, monitor_port)
    assert nats_server.url == nats_url


def test_the_server_syncs_every_write_to_disk(nats_server: NatsServer, nats_url: str) -> None:
    with urllib.request.urlopen(f"{nats_server.monitor_url}/varz", timeout=5) as response:
        varz = json.load(response)
    assert varz["jetstream"]["config"]["sync_always"] is True
