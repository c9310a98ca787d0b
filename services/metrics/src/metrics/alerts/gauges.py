"""What /metrics reads about alerts at each scrape."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, func, select

from metrics.alerts.models import Alert


def open_alerts(engine: Engine) -> Iterator[Metric]:
    gauge = GaugeMetricFamily(
        "cx_alerts_open", "Alerts open or acknowledged, not yet resolved", labels=["status", "rule"]
    )
    table = Alert.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.status, table.rule, func.count())
            .where(table.status != "resolved")
            .group_by(table.status, table.rule)
        ).all()
    for status, rule, count in rows:
        gauge.add_metric([status, rule], count)
    yield gauge
