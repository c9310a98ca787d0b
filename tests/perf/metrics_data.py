"""Synthetic history for the metrics benchmarks: responses over touchpoints and days, in the
bulk-import CSV format, with the touchpoint events that describe the journey."""

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

COMMENTS = [
    "Arrived a day late and the box was damaged.",
    "Quick and friendly, thank you!",
    "The courier left it in the rain.",
    "Fine.",
    "Tracking never updated, and nobody answered the phone.",
    "Easy checkout, great prices.",
]
SEGMENTS = ("consumer", "small business", "enterprise")
CHANNELS = ("web", "app", "email", "phone", "store")
STAGES = 8


def touchpoint_ids(count: int) -> list[str]:
    return [f"tp-{i:03d}" for i in range(count)]


def write_responses(
    path: Path,
    *,
    count: int,
    touchpoints: int,
    days: int,
    end: datetime,
    seed: int = 2026,
    shuffled: bool = False,
) -> None:
    """`count` responses spread over `touchpoints` and the `days` before `end`: an NPS answer
    each, a CSAT answer on a third, a comment on a quarter. In time order, as a survey tool
    exports them, unless `shuffled`."""
    rng = random.Random(seed)
    ids = touchpoint_ids(touchpoints)
    start = end - timedelta(days=days)
    seconds = [rng.randrange(days * 86400) for _ in range(count)]
    if not shuffled:
        seconds.sort()
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["response_id", "survey_id", "submitted_at", "touchpoint_id", "respondent_id",
             "channel", "segment", "nps", "csat", "comment"]
        )  # fmt: skip
        for i in range(count):
            t = rng.randrange(touchpoints)
            submitted = start + timedelta(seconds=seconds[i])
            writer.writerow(
                [
                    f"r{i:08d}",
                    f"survey-{t:03d}",
                    submitted.isoformat(),
                    ids[t],
                    f"c{rng.randrange(count // 10 + 1):07d}",
                    CHANNELS[t % len(CHANNELS)],
                    SEGMENTS[rng.randrange(3)],
                    min(10, max(0, round(rng.gauss(7.5, 2.2)))),
                    rng.randint(1, 5) if i % 3 == 0 else "",
                    COMMENTS[rng.randrange(len(COMMENTS))] if i % 4 == 0 else "",
                ]
            )


def touchpoint_events(touchpoints: int, journey_id: str = "journey-bench") -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    events = []
    for i, touchpoint in enumerate(touchpoint_ids(touchpoints)):
        stage = i % STAGES
        events.append(
            {
                "id": f"evt-{touchpoint}",
                "type": "touchpoint.created",
                "occurred_at": now,
                "source": "journey",
                "subject": touchpoint,
                "schema_version": 1,
                "data": {
                    "id": touchpoint,
                    "version": 1,
                    "journey_id": journey_id,
                    "stage_id": f"stage-{stage}",
                    "position": i // STAGES,
                    "name": f"Touchpoint {i}",
                    "channel": CHANNELS[i % len(CHANNELS)],
                    "owner_team_id": f"team-{i % 5}",
                    "owner_name": "Owner",
                    "moment_of_truth": i % 7 == 0,
                    "designed_emotion": 1,
                    "targets": [{"metric": "nps", "value": 30, "min_responses": 30}],
                    "journey": {"id": journey_id, "name": "Benchmark", "state": "current"},
                    "stage": {"id": f"stage-{stage}", "name": f"Stage {stage}",
                              "position": stage, "designed_emotion": 0},
                    "owner_team": {"id": f"team-{i % 5}", "name": f"Team {i % 5}"},
                },
            }
        )  # fmt: skip
    return events
