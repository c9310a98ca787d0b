"""The relay's claims: by state and due time, leased, never shared between replicas."""

import threading

from cxshared.events.relay import backoff_seconds


def test_two_relays_claiming_at_once_never_share_a_delivery(private_api, relay_for, receiver):
    private_api.post(
        "/v1/webhooks", {"url": receiver.url, "event_types": ["*"]}, headers=private_api.admin
    )
    for index in range(30):
        private_api.created("/v1/personas", {"name": f"P{index}"})
    relays = [relay_for(relay_batch_size=10), relay_for(relay_batch_size=10)]
    claimed: list[list[str]] = [[], []]
    barrier = threading.Barrier(2)

    def claim(index: int) -> None:
        barrier.wait()
        for _ in range(4):
            claimed[index].extend(c.delivery_id for c in relays[index].claim())

    threads = [threading.Thread(target=claim, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 30
    # Claimed deliveries are leased: nobody else can claim them until the lease runs out.
    assert relay_for().claim() == []


def test_claims_follow_due_time_not_ids(private_api, relay_for, receiver):
    """A delivery whose retry is not yet due is skipped; later ones are not held up by it."""
    from datetime import timedelta

    from sqlalchemy import update

    from cxshared.db import write_session
    from cxshared.events.models import OutboxDelivery
    from cxshared.timeutil import utcnow

    private_api.post(
        "/v1/webhooks", {"url": receiver.url, "event_types": ["*"]}, headers=private_api.admin
    )
    private_api.created("/v1/personas", {"name": "first"})
    engine = private_api.client.app.state.engine
    with write_session(engine) as session:
        session.execute(
            update(OutboxDelivery).values(next_attempt_at=utcnow() + timedelta(hours=1))
        )
    private_api.created("/v1/personas", {"name": "second"})
    claims = relay_for().claim()
    assert [c.envelope["data"]["name"] for c in claims] == ["second"]


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempt, (low, high) in {1: (1, 2), 2: (2, 4), 3: (4, 8), 10: (30, 60)}.items():
        samples = [backoff_seconds(attempt, base=2, cap=60) for _ in range(200)]
        assert all(low <= s <= high for s in samples), attempt
        assert len({round(s, 6) for s in samples}) > 100  # jittered, not fixed
