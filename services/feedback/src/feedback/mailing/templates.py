"""Invitation templates written by staff, rendered in Jinja's sandbox (docs/email.md,
"Invitation templates").

A template sees only the variables below: no globals (`range`, `cycler`, `lipsum`, `config`
and the like are unknown names), no attribute or item that starts with an underscore, no
`import`, `include`, `extends` or `from`, and no `*` or `**` that would make a huge value. A
template that uses anything else is refused when it is saved, with the reason."""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

MAX_SUBJECT_TEMPLATE = 300
MAX_BODY_TEMPLATE = 20_000
MAX_RENDERED = 100_000  # characters of a rendered body
MAX_REPEAT = 10_000  # the largest string or list a `*` in a template may make

VARIABLES: dict[str, str] = {
    "survey_title": "The survey's title.",
    "external_id": "The invitee's id, as uploaded.",
    "email": "The invitee's address.",
    "attributes": "The invitee's attributes (`attributes.first_name`); a missing one is empty.",
    "link": "The personal link to the survey.",
    "unsubscribe_link": "The page where the invitee stops all survey mail.",
    "expires_on": "The day the link expires (YYYY-MM-DD).",
    "reminder": "0 in the invitation, 1 in the first reminder, 2 in the second ...",
}
_FORBIDDEN_NODES = (nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)
# A web address in escaped text: it ends before a space, a tag or an escaped quote.
_URL = re.compile(r"https?://[^\s<>\"']+?(?=&quot;|&#x27;|[\s<>\"']|$)")


class TemplateRefused(ValueError):
    """A template that may not be saved; `field` names which one."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the ** operator is not allowed in a template")
        result = left * right
        if isinstance(result, str | list | tuple) and len(result) > MAX_REPEAT:
            raise SecurityError(f"a repeated value over {MAX_REPEAT} characters")
        return result


def _environment(*, autoescape: bool) -> _Sandbox:
    environment = _Sandbox(autoescape=autoescape, keep_trailing_newline=True)
    environment.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace
    return environment


TEXT = _environment(autoescape=False)
HTML = _environment(autoescape=True)


def check(field: str, source: str, *, limit: int, environment: _Sandbox = TEXT) -> None:
    """Refuses a template that is too long, does not parse, or reaches past its variables."""
    if len(source) > limit:
        raise TemplateRefused(field, f"longer than {limit} characters ({len(source)})")
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateRefused(field, f"line {exc.lineno}: {exc.message}") from None
    for statement in tree.find_all(_FORBIDDEN_NODES):
        raise TemplateRefused(
            field, f"line {statement.lineno}: import, include and extends are not allowed"
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _reached(node)
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateRefused(
                field, f"line {node.lineno}: '{name}' is not allowed (no name starting with _)"
            )
    unknown = sorted(meta.find_undeclared_variables(tree) - VARIABLES.keys())
    if unknown:
        raise TemplateRefused(
            field,
            f"unknown variable{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            f"known: {', '.join(VARIABLES)}",
        )


def _reached(node: nodes.Node) -> Any:
    """The attribute or item name an expression reaches for, when it is written out."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem):
        return _constant(node.arg)
    if isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        return _constant(node.args[0])  # {{ x|attr('__class__') }}
    return None


def _constant(node: nodes.Node) -> Any:
    return node.value if isinstance(node, nodes.Const) else None


def render(field: str, source: str, values: Mapping[str, Any], *, html_part: bool = False) -> str:
    """Renders a checked template; TemplateRefused when rendering itself fails (a sandbox
    refusal, an error in the template's logic) or the result is too large."""
    try:
        rendered = _compiled(source, html_part=html_part).render(**values)
    except SecurityError as exc:
        raise TemplateRefused(field, f"not allowed: {exc}") from None
    except TemplateError as exc:
        raise TemplateRefused(field, f"cannot be rendered: {exc}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateRefused(field, f"cannot be rendered: {exc}") from None
    if len(rendered) > MAX_RENDERED:
        raise TemplateRefused(field, f"renders longer than {MAX_RENDERED} characters")
    return rendered


@lru_cache(maxsize=256)
def _compiled(source: str, *, html_part: bool) -> Template:
    """A template compiled once: a batch renders the same few templates thousands of times."""
    return (HTML if html_part else TEXT).from_string(source)


def subject_line(source: str, values: Mapping[str, Any]) -> str:
    """The rendered subject: one line, or TemplateRefused (header injection)."""
    subject = render("subject_template", source, values).strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in subject):
        raise TemplateRefused(
            "subject_template", "renders with a line break or a control character"
        )
    if not subject:
        raise TemplateRefused("subject_template", "renders empty")
    return subject


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def html_from_text(text: str, *, links: Mapping[str, str]) -> str:
    """The HTML part made from the text part: every character escaped, paragraphs at blank
    lines, line breaks kept, and web addresses made links (`links` gives a label for the
    addresses that deserve one)."""

    def paragraph(block: str) -> str:
        escaped = html.escape(block, quote=True)

        def anchor(match: re.Match[str]) -> str:
            url = html.unescape(match.group(0))
            label = links.get(url, url)
            return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'

        return "<p>" + _URL.sub(anchor, escaped).replace("\n", "<br>\n") + "</p>"

    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "\n".join(paragraph(b) for b in blocks)
