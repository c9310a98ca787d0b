"""The second factor as a staff member meets it: set up from the Security page by scanning the
QR code (here: reading its key), confirmed with a first code, recovery codes shown once; then
signing in asks for the code after the password, a wrong code says so, and the right one opens
the page asked for. The pages fit a phone."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cxshared.db import make_engine
from gateway.users import factor
from gateway.users.models import Role
from gateway.users.service import create_user
from tests.browser.world import PASSWORD, World

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"


def sign_in_with_password(page: Page, world: World, email: str, path: str) -> None:
    page.goto(f"{world.gateway}{path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button.primary")


def test_a_member_sets_up_a_second_factor_and_signs_in_with_it(
    world: World, tmp_path: Path
) -> None:
    email = f"sam-{uuid.uuid4().hex[:6]}@example.com"
    engine = make_engine(world.urls["gateway"], pool_size=1)
    create_user(engine, email=email, name="Sam Okafor", role=Role.EDITOR, password=PASSWORD)
    context = world.chromium.new_context()
    page = context.new_page()
    page.on("dialog", world.saw_dialog)
    try:
        sign_in_with_password(page, world, email, "/login")
        page.wait_for_url(f"{world.gateway}/dashboard")
        page.get_by_role("link", name="Sam Okafor").click()  # one's name opens one's account
        expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
        page.get_by_role("button", name="Set up a second factor").click()
        qr = page.locator(".qr svg")
        expect(qr).to_be_visible()
        key_shown = page.locator("code.secret").inner_text()
        assert qr.bounding_box()["width"] >= 150  # big enough for a phone's camera
        assert qr.get_attribute("viewBox") and not qr.get_attribute("width")  # scaled whole
        page.wait_for_url(f"{world.gateway}/account/security")  # not the form's address
        page.reload()
        expect(page.locator(".qr svg")).to_be_visible()
        assert page.locator("code.secret").inner_text() == key_shown
        key = page.locator("code.secret").inner_text().replace(" ", "")
        page.screenshot(path=str(tmp_path / "second-factor-qr.png"), full_page=True)
        page.fill("#confirm-code", "000000")
        page.get_by_role("button", name="Turn on").click()
        expect(page.get_by_role("alert")).to_contain_text("does not match")
        page.fill("#confirm-code", factor.code_for(key, datetime.now(UTC)))
        page.get_by_role("button", name="Turn on").click()
        expect(page.get_by_role("status")).to_contain_text("Your second factor is on")
        codes = page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
        page.screenshot(path=str(tmp_path / "second-factor-codes.png"), full_page=True)
        page.goto(f"{world.gateway}/account/security")
        expect(page.locator(".security")).to_contain_text("10 of 10 recovery codes left")
        expect(page.locator(".recovery-codes")).to_have_count(0)  # shown once only

        # Signing out and in again: the password, then the code. Out from a page reached by
        # the app's own links (htmx), whose headers carried the old session's CSRF token.
        page.get_by_role("link", name="Surveys").click()
        page.wait_for_url(f"{world.gateway}/surveys")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/login"))
        sign_in_with_password(page, world, email, "/surveys")
        page.wait_for_url(re.compile(r"/login/code"))
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "second-factor-code.png"), full_page=True)
        page.fill("#code", "123456")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_contain_text("does not match")
        later = datetime.now(UTC) + timedelta(seconds=factor.STEP_SECONDS)
        page.fill("#code", factor.code_for(key, later))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{world.gateway}/surveys")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()

        # On a phone: the code page and the Security page fit.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{world.gateway}/account/security")
        fits_the_screen(page)
        page.screenshot(path=str(tmp_path / "second-factor-phone.png"), full_page=True)
    finally:
        context.close()
        engine.dispose()
    assert world.dialogs == []


def test_the_admin_sees_who_has_a_second_factor_and_the_audit_log(
    world: World, tmp_path: Path
) -> None:
    email = f"ana-{uuid.uuid4().hex[:6]}@example.com"
    engine = make_engine(world.urls["gateway"], pool_size=1)
    ana = create_user(engine, email=email, name="Ana Lima", role=Role.VIEWER, password=PASSWORD)
    secret = factor.begin_enrolment(engine, ana).secret
    factor.confirm_enrolment(engine, ana, factor.code_for(secret, datetime.now(UTC)))
    engine.dispose()
    page = world.signed_in("admin")
    try:
        page.get_by_role("link", name="Admin User").click()
        page.get_by_role("link", name="Staff security").click()
        expect(page.get_by_role("heading", name="Staff security")).to_be_visible()
        rows = page.locator("table.staff-security tbody tr")
        assert rows.count() >= 3
        expect(page.locator("table.staff-security")).to_contain_text("admin@example.com")
        expect(page.locator("tr", has_text=email)).to_contain_text("on since")
        # Requiring a role asks for the admin's own second factor, which they have not set up.
        page.get_by_label("editors").check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_contain_text("set one up on your Security page")
        expect(page.locator(".audit")).to_contain_text("set up a second factor")
        page.screenshot(path=str(tmp_path / "staff-security.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(tmp_path / "staff-security-phone.png"), full_page=True)
        fits_the_screen(page)
    finally:
        page.context.close()
