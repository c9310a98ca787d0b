"""Journey's problems, each with a stable type."""

from cxshared.problems import Problem


def has_children(entity: str, children: str) -> Problem:
    return Problem(
        409,
        "has-children",
        "Conflict",
        f"This {entity} still has {children}; delete them first or pass cascade=true.",
    )


def in_use(entity: str, by: str) -> Problem:
    return Problem(409, "in-use", "Conflict", f"This {entity} is still used by {by}.")
