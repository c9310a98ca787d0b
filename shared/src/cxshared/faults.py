"""Named failure points, for the fault-injection tests; inert unless a test turns them on.

A test starts a process with ``CX_FAULTS`` naming points and what happens there, for example
``CX_FAULTS=relay.after_claim=kill`` (the process dies by SIGKILL, as on a power cut or an OOM
kill) or ``relay.after_send=fail`` (the call raises). Without the variable every point is a
dictionary lookup that finds nothing. Points:

- ``relay.after_claim``: deliveries claimed (leased), nothing sent yet;
- ``relay.after_send``: sent and answered, not yet marked delivered.
"""

import os
import signal

POINTS = frozenset({"relay.after_claim", "relay.after_send"})
ACTIONS = frozenset({"kill", "fail"})


class InjectedFault(RuntimeError):
    """Raised at a point set to `fail`."""


def _parse(spec: str) -> dict[str, str]:
    faults = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, action = item.partition("=")
        if name not in POINTS or action not in ACTIONS:
            raise ValueError(f"CX_FAULTS: unknown fault {item!r} (points {sorted(POINTS)})")
        faults[name] = action
    return faults


_ACTIVE = _parse(os.environ.get("CX_FAULTS", ""))


def point(name: str) -> None:
    """A place where a test may make this process fail."""
    action = _ACTIVE.get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "fail":
        raise InjectedFault(name)
