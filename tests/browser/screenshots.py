"""`make screenshots`: the main pages, with a sample business, into docs/screenshots/.

python -m tests.browser.screenshots [--out docs/screenshots]
"""

import argparse
import os
import tempfile
from pathlib import Path

from cxshared.testing.databases import DatabaseFactory
from tests.browser import sample
from tests.browser.world import running_world

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 760}


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

            shot("/dashboard", "dashboard")
            shot(f"/journeys/{journey_id}", "journey-map")
            courier = made["touchpoints"]["Courier delivers"]["id"]
            page.click(f"#tp-{courier} >> text=Edit")
            page.wait_for_selector("form.editing")
            page.locator(f"#tp-{courier}").screenshot(path=str(args.out / "touchpoint-edit.png"))
            shot("/ownership", "ownership")
            shot(f"/journeys/{journey_id}/opportunities", "opportunities")
            world.post(
                "metrics",
                f"/v1/journeys/{journey_id}/themes",
                {"name": "Courier did not ring", "phrases": ["courier never rang the bell"]},
            )
            shot(f"/journeys/{journey_id}/themes", "comment-themes")
            shot(f"/surveys/{made['survey']['id']}", "survey-builder")
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
