"""`cx-demo`: seed the demo business into running cxloop services, once.

  cx-demo seed [--seed 7] [--keys data/keys] [--customers 5000] [--if-new data/demo.json]
               [--stay]

Keys are read from `<keys>/demo-<service>.key` (scopes write and admin; `make run` makes
them). `--if-new F` seeds only when F does not exist, and writes what was made into it;
`--stay` keeps the process waiting after seeding (a Procfile stops everything when one
process ends).
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from cxdemo.seed import Backends, seed

DEFAULT_URLS = {
    "journey": "http://127.0.0.1:8001",
    "feedback": "http://127.0.0.1:8002",
    "metrics": "http://127.0.0.1:8003",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="cx-demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("seed", help="build the demo business through the services")
    run.add_argument("--seed", type=int, default=7)
    run.add_argument("--keys", type=Path, default=Path("data/keys"))
    run.add_argument("--customers", type=int, default=5000)
    run.add_argument("--if-new", type=Path, default=None)
    run.add_argument("--stay", action="store_true")
    args = parser.parse_args()

    def say(line: str) -> None:
        print(f"demo: {line}", flush=True)

    if args.if_new is not None and args.if_new.exists():
        say(f"already seeded ({args.if_new}); make reset starts over")
    else:
        api = Backends(
            urls={
                name: os.environ.get(f"CXDEMO_{name.upper()}_URL", url)
                for name, url in DEFAULT_URLS.items()
            },
            keys={
                name: (args.keys / f"demo-{name}.key").read_text().strip() for name in DEFAULT_URLS
            },
        )
        metrics = str(Path(sys.executable).parent / "cx-metrics")
        workdir = args.if_new.parent if args.if_new else Path(".")
        made = seed(
            api,
            seed=args.seed,
            workdir=workdir,
            customers=args.customers,
            metrics_command=[metrics],
            say=say,
        )
        say(
            f"ready in {made['seconds']} s: {made['responses']:,} responses, "
            f"{made['customers']:,} customers. Open http://127.0.0.1:8000"
        )
        if args.if_new is not None:
            args.if_new.write_text(json.dumps(made, indent=2))
    if args.stay:
        # The process becomes `sleep`: the Procfile keeps its slot (honcho stops everything
        # when one process ends) without a Python process's 50-90 MB waiting in it.
        sys.stdout.flush()
        sleep = shutil.which("sleep") or "/bin/sleep"
        os.execv(sleep, [sleep, "2147483647"])  # noqa: S606 - no shell: nothing to quote


if __name__ == "__main__":
    main()
