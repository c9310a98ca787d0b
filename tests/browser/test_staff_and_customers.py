"""What staff and customers do in a real browser, against the four services as processes."""

import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.world import HostPage

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

XSS = '<script>alert("x")</script><img src=x onerror=alert("y")>'


def design(world, *origins: str) -> dict[str, Any]:
    """A journey of two stages and three touchpoints, and a published survey on the first
    that pages of `origins` may embed."""
    tag = uuid.uuid4().hex[:6]
    team = world.post("journey", "/v1/teams", {"name": f"Logistics {tag}"})
    journey = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"Delivery {tag}",
            "stages": [
                {
                    "name": "Deliver",
                    "designed_emotion": 1,
                    "touchpoints": [
                        {
                            "name": "Courier at the door",
                            "channel": "field",
                            "interaction": "human",
                            "owner_team_id": team["id"],
                            "owner_name": "Priya Shah",
                            "targets": [{"metric": "nps", "value": 40, "min_responses": 1}],
                        },
                        {"name": "Tracking page", "channel": "web", "interaction": "digital"},
                    ],
                },
                {
                    "name": "Return",
                    "touchpoints": [
                        {"name": "Return label", "channel": "email", "interaction": "digital"}
                    ],
                },
            ],
        },
    )
    courier = journey["stages"][0]["touchpoints"][0]
    slug = f"courier-{tag}"
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": slug,
            "title": "How was your delivery?",
            "touchpoint_id": courier["id"],
            "allowed_origins": list(origins),
            "min_seconds_to_complete": 0,
            "questions": [
                {
                    "key": "nps",
                    "type": "nps",
                    "prompt": "How likely are you to recommend us?",
                    "required": True,
                },
                {"key": "why", "type": "text", "prompt": "Tell us why", "max_length": 500},
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    return {"journey": journey, "team": team, "courier": courier, "survey": survey, "slug": slug}


def responses_of(world, survey_id: str) -> list[dict[str, Any]]:
    return world.get("feedback", f"/v1/responses?survey_id={survey_id}")["items"]


def answer_nps(page: Page, score: int, why: str = "") -> None:
    page.click(f"label[for=a-{score}]")
    page.click("button[type=submit]")
    page.wait_for_selector("textarea")
    if why:
        page.fill("textarea", why)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thank you")


def test_sign_in_change_an_owner_in_place_and_reorder(world):
    made = design(world)
    page = world.signed_in("editor")
    page.goto(f"{world.gateway}/journeys/{made['journey']['id']}")
    card = page.locator(f"#tp-{made['courier']['id']}")
    card.get_by_role("link", name="Edit").click()
    form = page.locator("form.editing")
    form.get_by_label("Named owner").fill("Marta Nowak")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(f"#tp-{made['courier']['id']}")).to_contain_text("Marta Nowak")
    assert page.url.endswith(f"/journeys/{made['journey']['id']}")  # edited in place
    stored = world.get("journey", f"/v1/touchpoints/{made['courier']['id']}")
    assert stored["owner_name"] == "Marta Nowak" and stored["updated_by"] == "editor@example.com"

    # Reorder from the keyboard: focus the move button, press Enter.
    page.get_by_role("button", name="Move Courier at the door down").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".stage").first.locator("h3").first).to_have_text("Tracking page")
    document = world.get("journey", f"/v1/journeys/{made['journey']['id']}/document")
    assert [t["name"] for t in document["stages"][0]["touchpoints"]] == [
        "Tracking page",
        "Courier at the door",
    ]
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Move Courier at the door down"


def test_build_and_publish_a_survey(world):
    page = world.signed_in("editor")
    page.goto(f"{world.gateway}/surveys")
    slug = f"built-{uuid.uuid4().hex[:6]}"
    page.fill("#f-title", "After your call")
    page.fill("#f-slug", slug)
    page.click("text=Create survey")
    page.wait_for_selector("#questions")
    for kind, prompt in (("nps", "Would you recommend us?"), ("text", "What could we do better?")):
        page.select_option("#new-type", kind)
        page.fill("#new-prompt", prompt)
        page.click("text=Add question")
        expect(page.locator("#questions")).to_contain_text(prompt)
    page.click("button:has-text('Publish')")
    expect(page.locator("#share-link")).to_have_value(re.compile(f"/s/{slug}$"))
    public = world.get("feedback", f"/v1/public/surveys/{slug}")
    assert [q["prompt"] for q in public["questions"]] == [
        "Would you recommend us?",
        "What could we do better?",
    ]


def test_answer_through_embed_js_from_an_allowed_origin_only(world, host_page):
    made = design(world, host_page.origin)
    host_page.html = (
        f'<!doctype html><h1>Shop</h1><script src="{world.gateway}/embed.js" '
        f'data-survey="{made["slug"]}" data-field-order_id="A-77"></script>'
    )
    context = world.chromium.new_context()
    page = context.new_page()
    page.goto(host_page.origin + "/")
    frame_element = page.wait_for_selector("iframe[data-cxloop-survey]")
    frame = frame_element.content_frame()
    frame.wait_for_selector("text=How likely are you to recommend us?")
    frame.click("label[for=a-9]")
    frame.click("button[type=submit]")
    frame.wait_for_selector("textarea")
    frame.fill("textarea", "Quick and friendly")
    frame.click("button[type=submit]")
    frame.wait_for_selector("text=Thank you")
    # The frame told its page how tall it is; the page resized it.
    height = page.evaluate("document.querySelector('iframe').style.height")
    assert height.endswith("px") and height != "420px"
    [stored] = responses_of(world, made["survey"]["id"])
    assert stored["status"] == "complete" and stored["channel"] == "embed"
    assert stored["hidden"] == {}  # order_id is not among the survey's hidden fields

    # The same page on an origin the survey does not list: the browser refuses to frame it.
    other = world.chromium.new_context().new_page()
    other.goto(host_page.origin.replace("127.0.0.1", "localhost") + "/")
    frame = other.wait_for_selector("iframe[data-cxloop-survey]").content_frame()
    time.sleep(1)
    assert "How likely are you" not in (frame.content() if frame else "")


def test_staff_pages_cannot_be_framed_by_any_site(world, host_page):
    """Clickjacking: another site framing a signed-in staff page gets an empty frame."""
    page = world.signed_in("editor")
    host_page.html = "".join(
        f'<iframe id="f{i}" src="{world.gateway}{path}" width="800" height="400"></iframe>'
        for i, path in enumerate(("/dashboard", "/journeys", "/surveys", "/login"))
    )
    page.goto(host_page.origin + "/")
    time.sleep(1)
    for i in range(4):
        frame = page.query_selector(f"#f{i}").content_frame()
        assert frame is None or "cxloop" not in frame.content(), i
    # The same pages open at home.
    page.goto(world.gateway + "/journeys")
    assert "cxloop" in page.content()


def framed(page: Page, host: HostPage, urls: dict[str, str], *, hostname: str = "") -> list[bool]:
    """Whether each of `urls` shows (its text appears) when a page of `host` frames it (at
    `hostname` instead of 127.0.0.1 if given: the same server, another origin)."""
    host.html = "".join(f'<iframe id="f{i}" src="{url}"></iframe>' for i, url in enumerate(urls))
    origin = host.origin.replace("127.0.0.1", hostname) if hostname else host.origin
    page.goto(origin + "/")
    page.wait_for_load_state("load")
    # Each frame settles as shown (its text appears) or refused (Chromium puts its error page
    # in the frame); a loaded machine may take a while to get there, so wait for one or other.
    shown: dict[int, bool] = {}
    deadline = time.monotonic() + 15
    while len(shown) < len(urls) and time.monotonic() < deadline:
        for i, text in enumerate(urls.values()):
            frame = page.query_selector(f"#f{i}").content_frame()
            if i in shown or frame is None:
                continue
            if frame.url.startswith("chrome-error://"):
                shown[i] = False
            elif text in frame.content():
                shown[i] = True
        time.sleep(0.1)
    assert len(shown) == len(urls), f"frames neither shown nor refused: {shown}"
    return [shown[i] for i in range(len(urls))]


def test_frame_ancestors_let_in_exactly_the_origins_a_survey_lists(world, host_page):
    """Two sites a survey lists may frame it; a third site, a listed site under another host
    name, and every site for a survey that lists none may not; no site frames a staff page."""
    second, third = HostPage(), HostPage()
    try:
        listed = design(world, host_page.origin, second.origin)
        unlisted = design(world)
        prompt = "How likely are you to recommend us?"
        urls = {
            f"{world.gateway}/s/{listed['slug']}": prompt,
            f"{world.gateway}/s/{unlisted['slug']}": prompt,
            f"{world.gateway}/dashboard": "Dashboard",
        }
        page = world.signed_in("editor")
        matrix = {
            "listed site": framed(page, host_page, urls),
            "second listed site": framed(page, second, urls),
            "unlisted site": framed(page, third, urls),
            "listed site, other host name": framed(page, host_page, urls, hostname="localhost"),
        }
        assert matrix == {
            "listed site": [True, False, False],
            "second listed site": [True, False, False],
            "unlisted site": [False, False, False],
            "listed site, other host name": [False, False, False],
        }
    finally:
        second.shutdown()
        third.shutdown()


def test_the_api_docs_work_under_their_content_security_policy(world):
    """Swagger UI and ReDoc load from the service itself, start, and load nothing else."""
    page = world.chromium.new_context().new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else 0)
    page.goto(world.api("feedback") + "/docs")
    page.wait_for_selector(".opblock-summary-path")
    assert "/v1/public/surveys/{slug}/responses" in page.content()
    page.goto(world.api("feedback") + "/redoc")
    page.wait_for_selector("text=Download OpenAPI specification")
    # The one thing refused: ReDoc's logo from its makers' CDN.
    assert all("cdn.redoc.ly" in message for message in refused), refused


def test_a_new_answer_moves_the_dashboard(world):
    made = design(world)
    page = world.signed_in("viewer")
    url = f"{world.gateway}/dashboard?journey_id={made['journey']['id']}"
    page.goto(url)
    tile = page.locator(".tile").first
    expect(tile).to_contain_text("no responses yet")
    customer = world.chromium.new_context().new_page()
    customer.goto(f"{world.gateway}/s/{made['slug']}")
    answer_nps(customer, 2, "Late again")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.goto(url)
        if "n=1" in page.locator(".tile").first.inner_text():
            break
        time.sleep(0.5)
    expect(page.locator(".tile").first).to_contain_text("n=1")
    expect(page.locator(".tile").first).to_contain_text("-100")


def test_answer_with_javascript_off_and_double_submit_stores_one(world):
    made = design(world)
    context = world.chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{world.gateway}/s/{made['slug']}")
    page.click("label[for=a-7]")
    page.click("button[type=submit]")
    page.wait_for_selector("textarea")
    page.fill("textarea", "Fine")
    last_step = {
        name: page.locator(f"input[name={name}]").get_attribute("value") or ""
        for name in ("submission_id", "rendered_at", "channel", "response_id", "resume_token")
    }
    # Double click on the last step: two posts of the same form.
    page.dblclick("button[type=submit]")
    page.wait_for_selector("text=Thank you")
    # Back, and 'resubmit the form': the browser posts the same fields again.
    resubmitted = context.request.post(
        f"{world.gateway}/s/{made['slug']}",
        form={**last_step, "question": "why", "a_why": "Fine"},
        max_redirects=0,
    )
    assert resubmitted.status == 303
    assert resubmitted.headers["location"] == f"/s/{made['slug']}/thanks"
    stored = responses_of(world, made["survey"]["id"])
    assert len(stored) == 1 and stored[0]["status"] == "complete"
    assert stored[0]["answers"] == {"nps": 7, "why": "Fine"}


def test_hostile_answers_show_as_text_on_every_staff_page(world):
    made = design(world)
    customer = world.chromium.new_context().new_page()
    customer.on("dialog", world.saw_dialog)
    customer.goto(f"{world.gateway}/s/{made['slug']}")
    answer_nps(customer, 1, XSS)
    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and not world.get("metrics", f"/v1/comments?touchpoint_id={made['courier']['id']}")["items"]
    ):
        time.sleep(0.3)
    world.post("metrics", "/v1/incidents/evaluate")
    [stored] = responses_of(world, made["survey"]["id"])
    page = world.signed_in("editor")  # its dialogs are recorded
    for path in (
        f"/dashboard?journey_id={made['journey']['id']}",
        f"/surveys/{made['survey']['id']}/responses",
        f"/responses/{stored['id']}",
    ):
        page.goto(world.gateway + path)
        assert XSS in page.locator("main").inner_text(), path
        assert page.locator("main img[src=x]").count() == 0, path
        assert page.locator("main script").count() == 0, path
    assert world.dialogs == []


def test_back_after_sign_out_shows_no_staff_page(world):
    """The back/forward cache keeps even no-store pages: after sign-out, Back must not show
    the page that was open, only the sign-in page."""
    design(world)
    page = world.signed_in("editor")
    page.goto(f"{world.gateway}/journeys")
    page.click("text=Sign out")
    page.wait_for_url(f"{world.gateway}/login**")
    page.go_back()
    page.wait_for_url(f"{world.gateway}/login?next=/journeys", timeout=10_000)
    assert "Sign out" not in page.content()
    # Nor is any page kept for htmx to restore it later.
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None


def test_a_form_posted_without_its_csrf_token_is_refused(world):
    made = design(world)
    page = world.signed_in("editor")
    page.goto(f"{world.gateway}/journeys/{made['journey']['id']}")
    response = page.request.post(
        f"{world.gateway}/touchpoints/{made['courier']['id']}",
        form={"version": str(made["courier"]["version"]), "name": "Hijacked", "channel": "field"},
    )
    assert response.status == 403
    assert (
        world.get("journey", f"/v1/touchpoints/{made['courier']['id']}")["name"]
        == "Courier at the door"
    )


@pytest.mark.parametrize("backend", ["journey", "feedback", "metrics"])
def test_every_page_renders_with_a_backend_stopped(world, backend):
    made = design(world)
    page = world.signed_in("viewer")
    paths = [
        "/dashboard",
        "/journeys",
        f"/journeys/{made['journey']['id']}",
        f"/journeys/{made['journey']['id']}/opportunities",
        "/ownership",
        "/surveys",
    ]
    # The pages that read this backend say so; the others do not need it.
    reads = {
        "journey": paths,
        "feedback": ["/surveys"],
        "metrics": ["/dashboard", f"/journeys/{made['journey']['id']}"],
    }[backend]
    world.stop(backend)
    try:
        for path in paths:
            response = page.goto(world.gateway + path)
            assert response is not None and response.status < 500, (
                path,
                response and response.status,
            )
            if path in reads:
                expect(page.locator("main")).to_contain_text(
                    re.compile(f"the {backend} service", re.IGNORECASE)
                )
    finally:
        world.start(backend)
