import argparse
import sys
from typing import Any

from sqlmodel import Session

from cxshared.cli import Command, run_cli
from cxshared.db import write_session
from metrics.comments.rescore import BATCH, Rescored, count_stale, rescore_sentiment
from metrics.comments.version import sentiment_version
from metrics.config import MIGRATIONS, get_settings
from metrics.facts.service import rebuild_rollups
from metrics.ingest.importer import BadRow, Progress, import_responses, open_text
from metrics.observed import importer as observed_import
from metrics.observed.service import ClashingActivity, Limits
from metrics.observed.service import rebuild as rebuild_observed


def _configure_rebuild(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 if any rollup disagrees"
    )


def _rebuild(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    if args.check:
        with Session(engine) as session:
            report = rebuild_rollups(session, replace=False)
    else:
        with write_session(engine) as session:
            report = rebuild_rollups(session, replace=True)
    print(
        f"rollups: {report['agree']} agree, {report['differ']} differ, "
        f"{report['missing']} missing, {report['extra']} extra"
        + ("" if args.check else "; rebuilt from the facts")
    )
    clean = report["differ"] == report["missing"] == report["extra"] == 0
    return 0 if clean or not args.check else 1


def _configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a .csv or .jsonl file, or - for standard input")
    parser.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file name")


def _configure_activities_import(parser: argparse.ArgumentParser) -> None:
    _configure_import(parser)
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="store the events, then compute the rollups once from all of them: faster for "
        "a first or a large import (figures read stale until it ends)",
    )


def _report(progress: Progress, rate: float) -> None:
    print(
        f"\r{progress.read:,} rows read, {progress.imported:,} imported, "
        f"{progress.skipped:,} already there ({rate:,.0f} rows/s)",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _import(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    fmt = args.format or ("csv" if args.file.endswith(".csv") else "jsonl")
    try:
        with open_text(args.file) as stream:
            progress = import_responses(engine, stream, fmt=fmt, report=_report)
    except (BadRow, OSError) as exc:
        print(f"\ncx-metrics import-responses: {exc}", file=sys.stderr)
        return 2
    print(f"\nimported {progress.imported:,} responses ({progress.skipped:,} already there)")
    return 0


def _import_activities(args: argparse.Namespace, settings: Any, engine: Any) -> int:
    fmt = args.format or ("csv" if args.file.endswith(".csv") else "jsonl")

    def report(progress: observed_import.Progress, rate: float) -> None:
        print(
            f"\r{progress.read:,} events read, {progress.recorded:,} recorded, "
            f"{progress.duplicates:,} already there ({rate:,.0f} events/s)",
            end="",
            file=sys.stderr,
            flush=True,
        )

    try:
        with open_text(args.file) as stream:
            progress = observed_import.import_activities(
                engine,
                stream,
                fmt=fmt,
                limits=Limits.of(settings),
                report=report,
                rebuild=args.rebuild,
            )
    except (BadRow, ClashingActivity, OSError) as exc:
        print(f"\ncx-metrics import-activities: {exc}", file=sys.stderr)
        return 2
    rebuilt = (
        f"; rollups rebuilt from {progress.rebuilt.events:,} events" if progress.rebuilt else ""
    )
    print(
        f"\nrecorded {progress.recorded:,} activity events "
        f"({progress.duplicates:,} already there){rebuilt}"
        + ("; the mapping changed: run rebuild-observed" if progress.stale else "")
    )
    return 0


def _rebuild_observed(args: argparse.Namespace, settings: Any, engine: Any) -> int:
    limits = Limits.of(settings)
    if args.check:
        with Session(engine) as session:
            report = rebuild_observed(session, limits=limits, replace=False)
    else:
        with write_session(engine) as session:
            report = rebuild_observed(session, limits=limits, replace=True)
    print(
        f"observed rollups from {report.events:,} events: {report.agree} agree, "
        f"{report.differ} differ, {report.missing} missing, {report.extra} extra"
        + ("" if args.check else "; rebuilt")
    )
    clean = report.differ == report.missing == report.extra == 0
    return 0 if clean or not args.check else 1


def _configure_rescore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="only count the comments scored by another scorer; exit 1 if there are any",
    )
    parser.add_argument("--batch", type=int, default=BATCH, help="comments per transaction")


def _rescore(args: argparse.Namespace, _settings: Any, engine: Any) -> int:
    if args.check:
        with Session(engine) as session:
            stale = count_stale(session)
        print(
            f"{stale:,} stored comments scored by another sentiment scorer "
            f"than {sentiment_version()}"
        )
        return 1 if stale else 0
    if args.batch < 1:
        print("cx-metrics rescore-sentiment: --batch must be at least 1", file=sys.stderr)
        return 2

    def report(done: Rescored) -> None:
        print(
            f"\r{done.scored:,} comments scored, {done.changed:,} changed", end="", file=sys.stderr
        )

    done = rescore_sentiment(engine, batch=args.batch, report=report)
    print(
        f"\nsentiment {sentiment_version()}: {done.scored:,} stored comments scored again, "
        f"{done.changed:,} changed; their rollups corrected"
    )
    return 0


COMMANDS = {
    "rebuild-rollups": Command(
        help="recompute every daily rollup from the facts (--check only compares)",
        configure=_configure_rebuild,
        run=_rebuild,
    ),
    "rescore-sentiment": Command(
        help="score stored comments again with the current sentiment scorer and correct the "
        "rollups (--check only counts them); safe to interrupt, re-run, and run beside the service",
        configure=_configure_rescore,
        run=_rescore,
    ),
    "import-activities": Command(
        help="bulk import activity events (CSV or JSON Lines; repeats are ignored)",
        configure=_configure_activities_import,
        run=_import_activities,
    ),
    "rebuild-observed": Command(
        help="recompute the observed-journey rollups from the stored activity events "
        "(--check only compares); needed after the activity mapping changes",
        configure=_configure_rebuild,
        run=_rebuild_observed,
    ),
    "import-responses": Command(
        help="bulk import historical responses from CSV or JSON Lines",
        configure=_configure_import,
        run=_import,
    ),
}


def main() -> None:
    sys.exit(
        run_cli(
            name="metrics",
            settings_factory=get_settings,
            app_path="metrics.main:create_app",
            script_location=MIGRATIONS,
            commands_of_service=COMMANDS,
        )
    )
