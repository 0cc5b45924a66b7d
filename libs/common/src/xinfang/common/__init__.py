"""Code the xinfang services share: event contracts, messaging (NATS JetStream, outbox, inbox,
consumer runner), database plumbing, settings, logging, metrics, auth, clock and test fixtures.

A service imports from here and never from another service.
"""
