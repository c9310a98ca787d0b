"""`make screenshots`: the main pages, with a sample business, into docs/screenshots/.

python -m tests.browser.screenshots [--out docs/screenshots]
"""

import argparse
import os
import tempfile
import uuid
from pathlib import Path

import httpx

from cxshared.testing.databases import DatabaseFactory
from tests.browser import sample
from tests.browser.world import World, running_world

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 760}
COMPLAINTS = [
    (1, "The parcel sat in the rain on the doorstep, the box was soaked through."),
    (3, "Courier never rang the bell, I had to collect it from the depot."),
    (0, "Third late delivery this month. I want a refund of the delivery fee."),
    (5, "Fine in the end, but the tracking page said delivered two hours early."),
    (2, "Rude driver, threw the parcel over the gate."),
]


def cases(world: World) -> str:
    """Unhappy customers' answers on the delivery survey: the rules open their cases, most are
    given to the admin, and the first is worked a little. Returns the first case's id."""
    feedback = world.api("feedback")
    for n, (score, why) in enumerate(COMPLAINTS):
        earlier = [(9, "Quick and friendly, thanks.")] if n == 0 else []
        for nps, text in [*earlier, (score, why)]:
            answered = httpx.post(
                f"{feedback}/v1/public/surveys/delivery/responses",
                json={
                    "submission_id": uuid.uuid4().hex,
                    "complete": True,
                    "respondent": {"external_id": f"cust-{1042 + n}"},
                    "answers": {"nps": nps, "why": text},
                },
                timeout=10,
            )
            assert answered.status_code == 201, answered.text
    opened = world.get("feedback", "/v1/cases?limit=50")["items"]
    for case in opened[1:]:
        httpx.patch(
            f"{feedback}/v1/cases/{case['id']}",
            json={"assignee_email": "admin@example.com", "assignee_name": "Admin User"},
            headers={**world.keys["feedback"], "If-Match": f'"{case["version"]}"'},
            timeout=10,
        ).raise_for_status()
    first = opened[-1]["id"]
    world.post(
        "feedback", f"/v1/cases/{first}/notes", {"body": "Left a voicemail, trying again after 5."}
    )
    world.post(
        "feedback", f"/v1/cases/{first}/contacts", {"channel": "phone", "outcome": "no_answer"}
    )
    return first  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CX_TEST_DATABASE", "sqlite")
    with tempfile.TemporaryDirectory() as workdir:
        factories: dict[str, DatabaseFactory] = {}

        def factory_for(service: str, script_location: Path) -> DatabaseFactory:
            factories[service] = DatabaseFactory(
                service=service, script_location=script_location, workdir=Path(workdir),
                worker="shots",
            )  # fmt: skip
            return factories[service]

        with running_world(Path(workdir), factory_for) as world:
            made = sample.build(world)
            journey_id = made["journey"]["id"]
            page = world.signed_in("admin")
            page.set_viewport_size(DESKTOP)

            def shot(path: str, name: str, *, full: bool = True) -> None:
                page.goto(world.gateway + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=full)
                print(f"{args.out / name}.png")

            # A theme first: the dashboard's incidents count what customers said by theme.
            world.post(
                "metrics",
                f"/v1/journeys/{journey_id}/themes",
                {"name": "Courier did not ring", "phrases": ["courier never rang the bell"]},
            )
            shot("/dashboard", "dashboard")
            shot(f"/journeys/{journey_id}", "journey-map")
            courier = made["touchpoints"]["Courier delivers"]["id"]
            page.click(f"#tp-{courier} >> text=Edit")
            page.wait_for_selector("form.editing")
            page.locator(f"#tp-{courier}").screenshot(path=str(args.out / "touchpoint-edit.png"))
            shot("/ownership", "ownership")
            shot(f"/journeys/{journey_id}/opportunities", "opportunities")
            shot(f"/journeys/{journey_id}/themes", "comment-themes")
            shot(f"/surveys/{made['survey']['id']}", "survey-builder")
            case_id = cases(world)
            shot("/cases", "cases-inbox")
            shot(f"/cases/{case_id}", "case")
            page.set_viewport_size(PHONE)
            shot("/cases", "cases-inbox-phone")
            shot(f"/cases/{case_id}", "case-phone")
            page.set_viewport_size(DESKTOP)
            customer = world.chromium.new_context(viewport=PHONE).new_page()
            customer.goto(world.gateway + "/s/delivery")
            customer.screenshot(path=str(args.out / "survey-phone.png"), full_page=True)
            print(f"{args.out / 'survey-phone'}.png")
            login = world.chromium.new_context(viewport=DESKTOP).new_page()
            login.goto(world.gateway + "/login")
            login.screenshot(path=str(args.out / "sign-in.png"))
        for factory in factories.values():
            factory.close()


if __name__ == "__main__":
    main()
