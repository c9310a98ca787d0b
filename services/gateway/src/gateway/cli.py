import argparse
import os
import secrets
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from cxshared.cli import Command, run_cli
from gateway.config import MIGRATIONS, get_settings
from gateway.users import factor, throttle
from gateway.users.models import Role
from gateway.users.service import UserError, create_user, has_users, set_disabled
from gateway.welcome import SignIn, banner, keep_sign_in, kept_sign_in, wait_until_ready


def _configure_create_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", default="")
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.VIEWER.value)
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input; without it one is generated and shown once",
    )
    parser.add_argument(
        "--if-no-users",
        action="store_true",
        help="do nothing when the gateway has users already (for first-run setup)",
    )
    parser.add_argument(
        "--sign-in-file",
        type=Path,
        default=None,
        help="keep a generated password in this file (mode 0600) for `welcome` to show again",
    )


def _create_user(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    if args.if_no_users and has_users(engine):
        return 0
    generated = not args.password_stdin
    password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(
            engine, email=args.email, name=args.name, role=Role(args.role), password=password
        )
    except UserError as exc:
        print(f"cx-gateway create-user: {exc}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.email}")
    if generated and args.sign_in_file is not None:
        keep_sign_in(args.sign_in_file, SignIn(email=user.email, password=password))
        print(f"sign in as {user.email} with the password {password} (kept in {args.sign_in_file})")
    elif generated:
        print(f"sign in as {user.email} with the password {password} (shown only once)")
    return 0


def _configure_welcome(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sign-in-file",
        type=Path,
        default=None,
        help="the file `create-user --sign-in-file` wrote; shown while its password signs in",
    )
    parser.add_argument(
        "--after",
        type=Path,
        default=None,
        help="also wait until this file exists (the demo's record that it is seeded)",
    )
    parser.add_argument(
        "--stay", action="store_true", help="keep running afterwards (a Procfile's process)"
    )


def _welcome(args: argparse.Namespace, settings: Any, engine: Any) -> int:
    def say(line: str) -> None:
        print(f"welcome: {line}", flush=True)

    gateway = f"http://127.0.0.1:{settings.port}"
    wait_until_ready(
        [gateway, settings.journey_url, settings.feedback_url, settings.metrics_url], say=say
    )
    if args.after is not None and not args.after.exists():
        say(f"waiting for {args.after}")
        while not args.after.exists():
            time.sleep(0.5)
    sign_in = kept_sign_in(args.sign_in_file, engine) if args.sign_in_file else None
    print(banner(settings.public_url, sign_in, args.sign_in_file if sign_in else None), flush=True)
    if args.stay:
        # The process becomes `sleep`: the Procfile keeps its slot (honcho stops everything
        # when one process ends) without a Python process's 50-90 MB waiting in it.
        sys.stdout.flush()
        sleep = shutil.which("sleep") or "/bin/sleep"
        os.execv(sleep, [sleep, "2147483647"])  # noqa: S606 - no shell: nothing to quote
    return 0


def _configure_disable_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--enable", action="store_true", help="enable the user again")


def _disable_user(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    try:
        user = set_disabled(engine, email=args.email, disabled=not args.enable)
    except UserError as exc:
        print(f"cx-gateway disable-user: {exc}", file=sys.stderr)
        return 1
    state = "enabled" if args.enable else "disabled; their sessions are ended"
    print(f"{user.email} {state}")
    return 0


def _configure_email(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)


def _unlock_user(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    email = args.email.strip().lower()
    if throttle.clear(engine, email=email):
        print(f"{email}: failed sign-ins forgotten; the account takes passwords again")
    else:
        print(f"{email}: no failed sign-ins recorded, nothing to lift")
    return 0


def _reset_second_factor(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    try:
        user = factor.reset(engine, email=args.email, actor="shell")
    except factor.FactorError as exc:
        print(f"cx-gateway reset-second-factor: {exc}", file=sys.stderr)
        return 1
    print(
        f"{user.email}: second factor and recovery codes removed, signed out everywhere "
        "(recorded in the audit log); they sign in with the password and set one up again"
    )
    return 0


COMMANDS = {
    "create-user": Command("create a staff user", _configure_create_user, _create_user),
    "welcome": Command(
        "wait until every service is ready, then show where and how to sign in",
        _configure_welcome,
        _welcome,
    ),
    "disable-user": Command(
        "disable a staff user and end their sessions", _configure_disable_user, _disable_user
    ),
    "unlock-user": Command(
        "lift the lock that failed sign-ins put on an account",
        _configure_email,
        _unlock_user,
    ),
    "reset-second-factor": Command(
        "remove a staff user's second factor (for one who lost theirs)",
        _configure_email,
        _reset_second_factor,
    ),
}


def main() -> None:
    sys.exit(
        run_cli(
            name="gateway",
            settings_factory=get_settings,
            app_path="gateway.main:create_app",
            script_location=MIGRATIONS,
            api_keys=False,
            commands_of_service=COMMANDS,
        )
    )
