"""What goes over the wire: pages and JSON compressed as the client accepts, stylesheets and
scripts precompressed under content-hashed names a browser keeps for a year, nothing tiny or
already compressed compressed again, and the CSRF token different on every page (BREACH)."""

import re

import pytest
from fastapi.testclient import TestClient

from gateway.assets import ASSETS, IMMUTABLE, Assets

BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
LINKED = re.compile(r'(?:src|href)="(/(?:assets|static)/[^"]+)"')


def wire(client, url, accept_encoding, **headers):
    """(bytes on the wire, the response) for one GET."""
    with client.stream("GET", url, headers={"Accept-Encoding": accept_encoding, **headers}) as r:
        size = sum(len(chunk) for chunk in r.iter_raw())
    return size, r


def page_weight(client, url, accept_encoding):
    """The page and every stylesheet, script and icon it links, as a browser fetches them."""
    size, _ = wire(client, url, accept_encoding)
    html = client.get(url).text
    linked = LINKED.findall(html)
    assert any("htmx.min" in link for link in linked), linked
    return size + sum(wire(client, link, accept_encoding)[0] for link in linked), linked


def test_the_survey_page_with_javascript_weighs_well_under_half_what_it_did(
    stack, delivery_survey, capsys
):
    client = TestClient(stack.gateway.app)
    plain, linked = page_weight(client, "/s/delivery", "identity")
    compressed, _ = page_weight(client, "/s/delivery", BROWSER)
    gzip_only, _ = page_weight(client, "/s/delivery", "gzip")
    with capsys.disabled():
        print(
            f"\nsurvey page with JavaScript: {plain:,} bytes as it is, {gzip_only:,} gzip, "
            f"{compressed:,} as Chromium fetches it ({len(linked)} files linked)"
        )
    assert plain > 50_000  # htmx alone is 52 KB
    assert compressed < plain * 0.4
    assert gzip_only < plain * 0.4
    htmx = next(link for link in linked if "htmx.min" in link)
    assert wire(client, htmx, BROWSER)[0] < 16_000


def test_assets_are_immutable_hashed_and_sent_in_the_best_coding_accepted(stack):
    client = TestClient(stack.gateway.app)
    url = ASSETS.url("htmx.min.js")
    assert re.fullmatch(r"/assets/htmx\.min\.[0-9a-f]{12}\.js", url)
    original = ASSETS.get("htmx.min.js").bodies["identity"]
    etags = set()
    for accept, coding in [
        (BROWSER, "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
    ]:
        size, response = wire(client, url, accept)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.headers["Cache-Control"].count("immutable") == 1
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers.get("Content-Encoding") == coding, accept
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert client.get(url, headers={"Accept-Encoding": accept}).content == original
        assert size == int(response.headers["Content-Length"])
        assert (size < len(original) / 2) if coding else (size == len(original))
        etags.add(response.headers["ETag"])
        again = client.get(
            url, headers={"Accept-Encoding": accept, "If-None-Match": response.headers["ETag"]}
        )
        assert again.status_code == 304 and again.headers["Cache-Control"] == IMMUTABLE
    # One ETag per representation: the identity, the Brotli and the gzip one.
    assert len(etags) == 3
    assert client.get("/assets/htmx.min.000000000000.js").status_code == 404


def test_pages_link_only_hashed_assets(stack, delivery_survey, browser_for):
    survey = TestClient(stack.gateway.app).get("/s/delivery").text
    staff = browser_for("viewer").get("/journeys").text
    for html in (survey, staff):
        links = LINKED.findall(html)
        assert links and all(link.startswith("/assets/") for link in links), links


def test_a_new_version_of_a_file_is_a_new_name(tmp_path):
    path = tmp_path / "app.css"
    path.write_text("body { color: black; }\n" * 40)
    assets = Assets({"app.css": path})
    first = assets.url("app.css")
    path.write_text("body { color: navy; }\n" * 40)
    second = assets.url("app.css")
    assert first != second and re.fullmatch(r"/assets/app\.[0-9a-f]{12}\.css", second)
    assert assets.by_url(first) is None and assets.by_url(second) is not None


def test_html_pages_are_compressed_and_vary_on_both_headers(stack, browser_for):
    editor = browser_for("editor")
    size, page = wire(editor.client, "/journeys", BROWSER)
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "zstd"
    vary = {v.strip() for v in page.headers["Vary"].split(",")}
    assert {"HX-Request", "Accept-Encoding"} <= vary
    plain, _ = wire(editor.client, "/journeys", "identity")
    assert size < plain * 0.75
    gz_size, gz = wire(editor.client, "/journeys", "gzip")
    assert gz.headers["Content-Encoding"] == "gzip" and gz_size < plain * 0.75


def test_tiny_answers_go_as_they_are(stack):
    client = TestClient(stack.gateway.app)
    for url in ("/healthz", ASSETS.url("favicon.svg")):
        response = client.get(url, headers={"Accept-Encoding": BROWSER})
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers, url


def test_the_csrf_token_differs_on_every_page_and_each_one_works(
    stack, browser_for, delivery_journey
):
    from sqlalchemy import text

    from cxshared.db import make_engine

    editor = browser_for("editor")
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    first = token.search(editor.get("/journeys").text).group(1)
    second = token.search(editor.get("/journeys").text).group(1)
    assert first != second
    # The session's own token is never on a page.
    engine = make_engine(stack.settings.database_url, pool_size=1)
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT csrf_token FROM staff_session")).scalars().all()
    engine.dispose()
    page = editor.get("/journeys").text
    assert raw and not any(secret in page for secret in raw)

    touchpoint = delivery_journey["stages"][0]["touchpoints"][0]
    url = f"/touchpoints/{touchpoint['id']}"
    forged = editor.client.post(
        url,
        data={"csrf_token": first[:-4] + "AAAA", "version": touchpoint["version"], "name": "x"},
    )
    assert forged.status_code == 403
    version = touchpoint["version"]
    for n, masked in enumerate((first, second)):
        form = {
            "csrf_token": masked,
            "version": version,
            "name": f"Renamed {n}",
            "channel": "field",
        }
        assert editor.client.post(url, data=form).status_code == 303
        stored = stack.journey.get(f"/v1/touchpoints/{touchpoint['id']}").json()
        assert stored["name"] == f"Renamed {n}"
        version = stored["version"]


@pytest.mark.parametrize("accept", ["br", "gzip", "zstd"])
def test_the_backends_json_apis_compress_large_answers(stack, delivery_survey, accept):
    feedback = stack.feedback
    plain = feedback.get("/v1/surveys", headers={**feedback.reader, "Accept-Encoding": "identity"})
    coded = feedback.get("/v1/surveys", headers={**feedback.reader, "Accept-Encoding": accept})
    assert len(plain.content) > 1000
    assert "Content-Encoding" not in plain.headers
    assert coded.headers["Content-Encoding"] == accept
    assert "Accept-Encoding" in coded.headers["Vary"]
    assert coded.json() == plain.json()
    assert int(coded.headers["Content-Length"]) < len(plain.content) * 0.75
    # A resource's ETag is its version, whatever the coding: If-Match still works with it.
    url = f"/v1/surveys/{delivery_survey['id']}"
    one = feedback.get(url, headers={**feedback.reader, "Accept-Encoding": "identity"})
    other = feedback.get(url, headers={**feedback.reader, "Accept-Encoding": accept})
    assert one.headers.get("ETag") == other.headers.get("ETag")
    # A small problem document goes as it is.
    missing = feedback.get(
        "/v1/surveys/00000000-0000-4000-8000-000000000000",
        headers={**feedback.reader, "Accept-Encoding": accept},
    )
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
