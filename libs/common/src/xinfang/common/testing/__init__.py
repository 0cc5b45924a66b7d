"""Test support shared by every package: a real nats-server process and the pytest plugin
(`-p xinfang.common.testing.plugin`) with its NATS, database and SMTP fixtures."""
