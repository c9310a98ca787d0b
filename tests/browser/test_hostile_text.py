"""A corpus of hostile text (script tags, event handlers, javascript: URLs, htmx attributes,
template syntax) put into every free-text field staff and customers can fill, then every staff
page and fragment, and the customer's page, opened in Chromium: the payloads show as text and
never become elements, attributes or scripts, and no dialog opens."""

import time
import uuid
from typing import Any

import httpx
import pytest

# Its module-scoped world is built once, on one xdist worker (make pytest: --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

# Each payload carries "xss" and a digit, after a character no random token has, so that
# whatever it turned into can be found in the DOM.
CORPUS = [
    '<script>alert("xss1")</script>',
    '<img src=x onerror=alert("xss2")>',
    '"><svg onload=alert("xss3")>',
    "javascript:alert('xss4')",
    "<a href=\"javascript:alert('xss5')\">xss5</a>",
    '<div hx-get="/xss6" hx-trigger="load" hx-target="body">xss6</div>',
    '{{ "xss7" * 3 }}{% print("xss7") %}${"xss7"}',
    "</textarea><script>alert('xss8')</script>",
    "' onmouseover='alert(\"xss9\")' x='",
    '<iframe srcdoc="<script>alert(`xss10`)</script>"></iframe>',
]
ALL = " ".join(CORPUS)

# Whatever the payloads could turn into, if a page let them: found by the browser, not by
# reading the HTML, so it is what a visitor's browser would run.
FIND_INJECTED = """() => {
  const found = [];
  // A payload's marker, never part of a longer token: a random CSRF token (base64url) once
  // held "4xss" and was taken for a payload.
  const marker = /(^|[^A-Za-z0-9_-])xss[0-9]/;
  // hx-confirm's value is the text of a confirmation, shown as text: a name belongs there.
  const risky = (name) => name.startsWith('on') ||
    ((name.startsWith('hx-') || name.startsWith('data-hx-')) && !name.endsWith('hx-confirm')) ||
    ['href', 'src', 'srcdoc', 'action', 'formaction', 'xlink:href'].includes(name);
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (risky(attribute.name.toLowerCase()) && marker.test(attribute.value)) {
        found.push(`${element.tagName} ${attribute.name}=${attribute.value}`);
      }
    }
    if (element.tagName === 'SCRIPT' && marker.test(element.textContent)) {
      found.push(`SCRIPT ${element.textContent}`);
    }
  }
  if (document.body.innerText.includes('xss7xss7')) found.push('a template ran');
  return found;
}"""


def payload(i: int) -> str:
    return CORPUS[i % len(CORPUS)]


def fill_every_field(world: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    team = world.post("journey", "/v1/teams", {"name": f"{payload(0)} {tag}"})
    persona = world.post(
        "journey", "/v1/personas", {"name": f"{payload(1)} {tag}", "description": ALL}
    )
    journey = world.post(
        "journey",
        "/v1/journeys/documents",
        {
            "name": f"{payload(2)} {tag}",
            "description": ALL,
            "persona_id": persona["id"],
            "owner_name": payload(3),
            "stages": [
                {
                    "name": payload(4),
                    "description": ALL,
                    "touchpoints": [
                        {
                            "name": payload(5),
                            "description": ALL,
                            "channel": "web",
                            "interaction": "digital",
                            "owner_team_id": team["id"],
                            "owner_name": payload(6),
                            "standard": CORPUS[7] + CORPUS[8],
                            "targets": [{"metric": "nps", "value": 40, "min_responses": 1}],
                        },
                        {
                            "name": payload(9),
                            "channel": "email",
                            "interaction": "digital",
                            "owner_name": payload(0),
                        },
                    ],
                }
            ],
        },
    )
    [stage] = journey["stages"]
    touchpoint = stage["touchpoints"][0]
    world.post(
        "journey",
        f"/v1/touchpoints/{touchpoint['id']}/opportunities",
        {"title": payload(1), "description": ALL, "kind": "pain_point", "owner_name": payload(2)},
    )
    slug = f"hostile-{tag}"
    survey = world.post(
        "feedback",
        "/v1/surveys",
        {
            "slug": slug,
            "title": payload(3),
            "intro": ALL,
            "thank_you": ALL,
            "touchpoint_id": touchpoint["id"],
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": payload(4), "help": ALL, "required": True},
                {
                    "key": "pick",
                    "type": "single_choice",
                    "prompt": payload(5),
                    "choices": [
                        {"value": "late", "label": payload(6)},
                        {"value": "damaged", "label": payload(7)},
                    ],
                },
                {"key": "why", "type": "text", "prompt": payload(8), "max_length": 5000},
            ],
        },
    )
    world.post("feedback", f"/v1/surveys/{survey['id']}/publish")
    answer = post_answer(world, slug)
    return {
        "journey": journey,
        "touchpoint": touchpoint,
        "survey": survey,
        "slug": slug,
        "response": answer,
    }


def post_answer(world: Any, slug: str) -> dict[str, Any]:
    response = httpx.post(
        f"{world.api('feedback')}/v1/public/surveys/{slug}/responses",
        json={
            "submission_id": uuid.uuid4().hex,
            "answers": {"nps": 2, "pick": "late", "why": ALL},
            "respondent": {"external_id": payload(9)},
            "hidden": {},
            "complete": True,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_hostile_text_in_every_field_stays_text_on_every_page(world: Any) -> None:
    made = fill_every_field(world)
    journey_id, touchpoint_id = made["journey"]["id"], made["touchpoint"]["id"]
    survey_id = made["survey"]["id"]
    deadline = time.monotonic() + 20  # the comment reaches metrics through the relay
    while (
        time.monotonic() < deadline
        and not world.get("metrics", f"/v1/comments?touchpoint_id={touchpoint_id}")["items"]
    ):
        time.sleep(0.3)
    world.post("metrics", "/v1/incidents/evaluate")
    pages = [
        "/dashboard",
        f"/dashboard?journey_id={journey_id}",
        "/journeys",
        f"/journeys/{journey_id}",
        f"/touchpoints/{touchpoint_id}/card",
        f"/touchpoints/{touchpoint_id}/edit",
        f"/touchpoints/{touchpoint_id}/history",
        "/ownership?drafts=true",
        f"/ownership/touchpoints/{touchpoint_id}/assign",
        f"/journeys/{journey_id}/opportunities",
        "/surveys",
        f"/surveys/{survey_id}",
        f"/surveys/{survey_id}/questions/why/edit",
        f"/surveys/{survey_id}/preview",
        f"/surveys/{survey_id}/invitations",
        f"/surveys/{survey_id}/responses",
        f"/responses/{made['response']['id']}",
    ]
    page = world.signed_in("editor")  # its dialogs are recorded
    shown = 0
    for path in pages:
        response = page.goto(world.gateway + path)
        assert response is not None and response.status == 200, path
        assert page.evaluate(FIND_INJECTED) == [], path
        text = page.locator("body").inner_text()
        shown += sum(p in text for p in CORPUS)
    customer = world.chromium.new_context().new_page()
    customer.on("dialog", world.saw_dialog)
    customer.goto(f"{world.gateway}/s/{made['slug']}")
    assert customer.evaluate(FIND_INJECTED) == []
    assert CORPUS[4] in customer.locator("body").inner_text()  # the question's prompt, as text
    assert world.dialogs == []
    # The payloads are there to be read: as text, on page after page.
    assert shown > 3 * len(CORPUS), shown
