"""The command line every service shares: migrate, serve, relay, create-api-key, revoke-api-key."""

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxshared.apikeys import Scope, create_api_key, kept_api_key, list_api_keys, revoke_api_key
from cxshared.backup import BackupError, backup, restore
from cxshared.db import make_engine
from cxshared.logging import configure_logging
from cxshared.schema_level import SchemaMismatch, check_at_head
from cxshared.settings import ServiceSettings

# With --workers, uvicorn restarts a worker that does not answer its supervisor in time. A new
# worker imports the service before it can answer: on a loaded machine that takes longer than
# uvicorn's 5 s, and workers were killed and restarted in a loop.
WORKER_HEALTHCHECK_SECONDS = 60


@dataclass(frozen=True)
class Command:
    """A service's own command: `configure` adds its arguments, `run` gets them with the
    settings and an engine on a database at the latest schema, and returns the exit code."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Any, Any], int]


def run_cli(
    *,
    name: str,
    settings_factory: Callable[[], ServiceSettings],
    app_path: str,
    script_location: Path,
    argv: Sequence[str] | None = None,
    commands_of_service: dict[str, Command] | None = None,
    api_keys: bool = True,
) -> int:
    """`api_keys=False` for a service with no API of its own to key (the gateway): no relay
    and no key commands."""
    extra = commands_of_service or {}
    parser = build_parser(name, extra, api_keys=api_keys)
    args = parser.parse_args(argv)

    settings = settings_factory()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    if args.command != "migrate":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return _run(args, name, settings, app_path, script_location, extra)
    except (ValueError, SchemaMismatch) as exc:
        print(f"cx-{name} {args.command}: {exc}", file=sys.stderr)
        return 2


def build_parser(
    name: str, commands_of_service: dict[str, Command] | None = None, *, api_keys: bool = True
) -> argparse.ArgumentParser:
    """The command line of `cx-<name>` (deployment files are checked against it)."""
    extra = commands_of_service or {}
    parser = argparse.ArgumentParser(prog=f"cx-{name}", description=f"cxloop {name} service")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database to the latest schema")
    commands.add_parser("backup", help="copy the database into one file").add_argument(
        "file", type=Path
    )
    commands.add_parser(
        "restore", help="replace the database with a backup (stop the service first)"
    ).add_argument("file", type=Path)
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true")
    if api_keys:
        _add_key_commands(commands)
    for command_name, command in extra.items():
        command.configure(commands.add_parser(command_name, help=command.help))
    return parser


def _add_key_commands(commands: Any) -> None:
    commands.add_parser("relay", help="deliver outbox events (as its own process)")
    commands.add_parser("send-mail", help="send queued mail (as its own process)")
    create = commands.add_parser(
        "create-api-key", help="create a key; prints it alone on its last line"
    )
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=[s.value for s in Scope],
        help="repeat for several scopes",
    )
    create.add_argument(
        "--file",
        type=Path,
        help="keep the key in this file instead of printing it: reused while it is live with "
        "these scopes, else replaced (older keys of the name are revoked)",
    )
    revoke = commands.add_parser("revoke-api-key", help="revoke keys by id or name")
    revoke.add_argument("key", help="the key's id or name")
    commands.add_parser("list-api-keys", help="list keys (never their secrets)")


def _run(
    args: argparse.Namespace,
    name: str,
    settings: ServiceSettings,
    app_path: str,
    script_location: Path,
    extra: dict[str, Command],
) -> int:
    if args.command == "migrate":
        # Only here: alembic costs every other command (`serve` above all) 10-20 MB.
        from cxshared.migrations import upgrade

        upgrade(script_location, settings.database_url)
        print(f"{name}: database at the latest schema")
        return 0
    if args.command in ("backup", "restore"):
        try:
            if args.command == "backup":
                backup(settings.database_url, args.file)
            else:
                restore(settings.database_url, args.file)
        except BackupError as exc:
            print(f"cx-{name} {args.command}: {exc}", file=sys.stderr)
            return 1
        done = "backed up into" if args.command == "backup" else "restored from"
        print(f"{name}: database {done} {args.file}")
        return 0
    if args.command == "serve":
        import uvicorn

        if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Each worker counts its requests into files here; /metrics sums them all.
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"cx-{name}-")

        uvicorn.run(
            app_path,
            factory=True,
            host=args.host or settings.host,
            port=settings.port if args.port is None else args.port,
            workers=args.workers,
            reload=args.reload,
            log_config=None,
            proxy_headers=False,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
        return 0

    engine = make_engine(settings.database_url, pool_size=2)
    try:
        check_at_head(engine, script_location)
        if args.command in extra:
            return extra[args.command].run(args, settings, engine)
        if args.command == "relay":
            return _run_relay(name, settings, engine)
        if args.command == "send-mail":
            return _run_mail_sender(name, settings, engine)
        if args.command == "create-api-key" and args.file:
            scopes = [Scope(s) for s in args.scope]
            made = kept_api_key(engine, name=args.name, scopes=scopes, path=args.file)
            print(f"{'created' if made else 'kept'} key '{args.name}' in {args.file}")
            return 0
        if args.command == "create-api-key":
            key, raw = create_api_key(engine, name=args.name, scopes=[Scope(s) for s in args.scope])
            print(
                f"created key {key.id} '{key.name}' with scopes {','.join(key.scopes)}; "
                "it is shown only once:",
                file=sys.stderr,
            )
            print(raw)
            return 0
        if args.command == "revoke-api-key":
            count = revoke_api_key(engine, name_or_id=args.key)
            print(f"revoked {count} key(s)")
            return 0 if count else 1
        for key in list_api_keys(engine):
            state = "revoked" if key.revoked_at else "live"
            print(f"{key.id}  {key.display_prefix}…  {key.name}  {','.join(key.scopes)}  {state}")
        return 0
    finally:
        engine.dispose()


def _until_signalled(wake: threading.Event) -> threading.Event:
    """An event set by SIGTERM or SIGINT (which also set `wake`, so a waiting loop ends)."""
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()
        wake.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


def _run_mail_sender(name: str, settings: ServiceSettings, engine: object) -> int:
    from cxshared.mail.outbox import Mailer
    from cxshared.mail.sender import MailSender
    from cxshared.mail.settings import MailSettings

    if not isinstance(settings, MailSettings):
        print(f"cx-{name} send-mail: the {name} service sends no mail", file=sys.stderr)
        return 2
    mailer = Mailer.from_settings(settings)
    if not settings.mail_configured:
        print(
            f"cx-{name} send-mail: e-mail is not configured: set {mailer.setting}", file=sys.stderr
        )
        return 2
    sender = MailSender(engine=engine, mailer=mailer, settings=settings)
    sender.run(_until_signalled(mailer.wakeup))
    return 0


def _run_relay(name: str, settings: ServiceSettings, engine: object) -> int:
    from cxshared.app import make_outbox
    from cxshared.events.relay import Relay

    outbox = make_outbox(name, settings)
    relay = Relay(engine=engine, outbox=outbox, settings=settings)  # type: ignore[arg-type]
    relay.run(_until_signalled(outbox.wakeup))
    return 0
