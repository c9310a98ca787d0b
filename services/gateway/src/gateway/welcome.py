"""The first admin's sign-in details, kept until they stop working, and shown again in a box
once every service answers /readyz: `make run` prints them below the start-up lines, where a
log full of seeding would otherwise have buried them.

The password exists in clear only when `create-user` generates it. `--sign-in-file` keeps it
in a file only its owner may read (mode 0600, like the API keys beside it); `welcome` reads it
back, checks that it still signs in, and deletes the file when it no longer does (the account
was given another password or disabled), so a stale password is never shown.
"""

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from gateway.users.service import authenticate


@dataclass(frozen=True)
class SignIn:
    email: str
    password: str


def keep_sign_in(path: Path, sign_in: SignIn) -> None:
    """Writes the details readable by the owner only, whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"email": sign_in.email, "password": sign_in.password}, file)
    partial.replace(path)


def kept_sign_in(path: Path, engine: Engine) -> SignIn | None:
    """The kept details while they still sign in; otherwise None, and the file is gone."""
    try:
        kept = json.loads(path.read_text())
        sign_in = SignIn(email=str(kept["email"]), password=str(kept["password"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if authenticate(engine, email=sign_in.email, password=sign_in.password) is None:
        path.unlink(missing_ok=True)
        return None
    return sign_in


def banner(url: str, sign_in: SignIn | None, kept_in: Path | None = None) -> str:
    """A box that stands out in a long log: where to go and, while kept, how to sign in."""
    lines = ["cxloop is ready", "", f"Open      {url}"]
    if sign_in is not None:
        lines += [f"Email     {sign_in.email}", f"Password  {sign_in.password}"]
        if kept_in is not None:
            lines += [
                "",
                f"The password is kept in {kept_in} (readable only by you)",
                "until it no longer signs in; delete the file once noted.",
            ]
    else:
        lines += ["Sign in with your staff account."]
    width = max(len(line) for line in lines)
    rule = "#" * (width + 8)
    body = [f"##  {line.ljust(width)}  ##" for line in lines]
    return "\n".join(["", rule, *body, rule, ""])


def wait_until_ready(
    urls: Sequence[str],
    *,
    say: Callable[[str], None],
    poll_seconds: float = 0.5,
    get: Callable[[str], int] | None = None,
) -> None:
    """Returns once each URL's /readyz answers 200; names what it waits for, once."""

    def status(url: str) -> int:
        try:
            return httpx.get(f"{url}/readyz", timeout=2).status_code
        except httpx.HTTPError:
            return 0

    check = get or status
    waiting = list(urls)
    announced = False
    while waiting:
        waiting = [url for url in waiting if check(url) != 200]
        if waiting:
            if not announced:
                say(f"waiting for {', '.join(waiting)} to be ready")
                announced = True
            time.sleep(poll_seconds)
