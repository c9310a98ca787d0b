"""What /metrics reads about incidents at each scrape."""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, func, select

from metrics.alerts.models import Incident


def open_incidents(engine: Engine) -> Iterator[Metric]:
    gauge = GaugeMetricFamily(
        "cx_incidents_open", "Incidents open or acknowledged, not yet resolved", labels=["status"]
    )
    table = Incident.__table__.c  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.status, func.count())
            .where(table.status != "resolved")
            .group_by(table.status)
        ).all()
    for status, count in rows:
        gauge.add_metric([status], count)
    yield gauge
