"""Several of cxloop's console commands in one process: `python -m cxshared.batch
'cx-journey migrate' 'cx-metrics create-api-key --name relays --scope ingest' ...`.

`make run` migrates four databases and makes seven keys before it starts the services; as
separate commands, each started Python and imported its service again (about 2 s each, most
of a second `make run`'s 40 s). Each command runs as its console script would (its entry
point, with `sys.argv` set), in order; the first to fail stops the batch with its exit code.
`--quiet` drops the standard output of the commands after it, `--loud` keeps it again.
"""

import contextlib
import os
import shlex
import sys
from importlib.metadata import entry_points


def run(command: str) -> int:
    argv = shlex.split(command)
    found = entry_points(group="console_scripts", name=argv[0])
    if not found:
        print(f"cxshared.batch: no command {argv[0]}", file=sys.stderr)
        return 2
    [script] = list(found)
    sys.argv = argv
    try:
        script.load()()
    except SystemExit as exit:
        code = exit.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0


def main(args: list[str]) -> int:
    quiet = False
    for arg in args:
        if arg in ("--quiet", "--loud"):
            quiet = arg == "--quiet"
            continue
        with open(os.devnull, "w") as devnull:
            out = contextlib.redirect_stdout(devnull) if quiet else contextlib.nullcontext()
            with out:
                code = run(arg)
        if code:
            print(f"cxshared.batch: `{arg}` failed ({code})", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
