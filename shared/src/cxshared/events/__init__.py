"""Events: the transactional outbox, its relay, and signed webhooks."""
