"""NATS JetStream plumbing: connection, provisioning, the outbox and its relay, the inbox,
the consumer runner and the runtime that starts them in a service."""
