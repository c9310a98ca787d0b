"""How figures read on a page: one place, registered as template filters."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from gateway.clients.models import Change, ChurnModel, Question, Score, Target, Touchpoint

METRIC_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
EMOTIONS = {-2: "very negative", -1: "negative", 0: "neutral", 1: "positive", 2: "very positive"}
CHANNELS = [
    "web", "mobile_app", "email", "sms", "phone", "chat", "store", "field", "social", "partner",
    "other",
]  # fmt: skip


# A touchpoint's fields as its editor names them (also in its history and a lost edit's notice).
TOUCHPOINT_LABELS = {
    "name": "Name",
    "owner_team_id": "Team",
    "owner_name": "Named owner",
    "owner_email": "Owner's email",
    "channel": "Channel",
    "interaction": "Interaction",
    "moment_of_truth": "Moment of truth",
    "standard": "Experience standard",
    "description": "Description",
    "designed_emotion": "Designed emotion",
    "target_nps": "NPS target",
    "target_csat": "CSAT target",
    "target_ces": "CES target",
    "ind_kind": "Measured by",
    "ind_objective": "Objective",
    "tb_within": "Within",
    "nn_within": "Within",
}


def figure(metric: str, value: float | None) -> str:
    """NPS as a signed whole number, CSAT (and a standard's compliance) as a percentage, CES as
    a mean on its 1-7 scale."""
    if value is None:
        return "\u2013"  # an en dash: no figure
    if metric == "nps":
        return f"{round(value):+d}"  # round first: -0.3 reads +0, never -0
    if metric in ("csat", "standard"):
        return f"{value:.0f}%"
    return f"{value:.1f}"


CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def money(amount: float | None, currency: str) -> str:
    """A whole amount with its currency: €1,070,820; a code without a sign goes before it."""
    if amount is None:
        return "\u2013"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{amount:,.0f}" if sign else f"{currency} {amount:,.0f}"


# Keys that are names people write in capitals.
_ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "sla": "SLA"}


def label(key: str | None) -> str:
    """A stored key as people write it: small_business reads Small business, nps NPS."""
    if not key:
        return "none"
    if key.lower() in _ACRONYMS:
        return _ACRONYMS[key.lower()]
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def change(metric: str, difference: float) -> str:
    """A difference between two periods: NPS and CSAT in points, CES on its scale; one decimal,
    signed, and a change that rounds to nothing reads 0.0, never -0.0."""
    rounded = round(difference, 1)
    unit = " points" if metric in ("nps", "csat") else ""
    return f"{rounded:+.1f}{unit}" if rounded else f"0.0{unit}"


def interval(metric: str, score: Score) -> str:
    if score.low is None or score.high is None:
        return ""
    return f"{figure(metric, score.low)} to {figure(metric, score.high)}"


def target_text(target: Target | dict[str, object]) -> str:
    metric = str(target["metric"] if isinstance(target, dict) else target.metric)
    value = target["value"] if isinstance(target, dict) else target.value
    direction = target.get("direction") if isinstance(target, dict) else target.direction
    word = "at most" if direction == "at_most" else "at least"
    return f"{METRIC_NAMES.get(metric, metric)} {word} {figure(metric, float(str(value)))}"


COMPARISONS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
INDICATOR_KINDS = {
    "": "Not measured",
    "time_between": "Time from one activity to another",
    "attribute": "An attribute of an activity",
    "not_needed": "An activity not needed after another",
}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3_600, "days": 86_400}


def share_text(percent: float | None) -> str:
    """A share for a glance: 72%, <1% for a small one that is not none, 0% for none."""
    if not percent:
        return "0%"
    if percent < 1:
        return "<1%"
    return f"{percent:.0f}%"


def duration_text(seconds: float) -> str:
    """120 → "2 minutes", 604800 → "7 days": the largest whole unit."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = int(seconds)
    return f"{count} second{'s' if count != 1 else ''}"


def indicator_text(indicator: dict[str, Any] | None) -> str:
    """What a standard's indicator measures, in a sentence: "order_paid → confirmation_email_sent
    within 2 minutes, in 95% of cases"."""
    if not indicator:
        return ""
    objective = f"in {float(indicator['objective']) * 100:g}% of cases"
    kind = indicator.get("kind")
    if kind == "time_between":
        return (
            f"{indicator['from_activity']} → {indicator['to_activity']} within "
            f"{duration_text(indicator['within_seconds'])}, {objective}"
        )
    if kind == "attribute":
        value = indicator["value"]
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        operator = COMPARISONS.get(indicator.get("operator", "eq"), "=")
        condition = f"{indicator['attribute']} {operator} {shown}"
        return f"{indicator['activity']} with {condition}, {objective}"
    if kind == "not_needed":
        return (
            f"no {indicator['activity']} within {duration_text(indicator['within_seconds'])} "
            f"of {indicator['after_activity']}, {objective}"
        )
    return ""


def answers_url(metric: str, **filters: str | int | date | None) -> str:
    """The page listing the answers behind a score: the score's metric and its filters
    (touchpoint_id, journey_id, stage_id, channel, segment, category; the period as `days`,
    or `from` and `to` given as start and end)."""
    names = {"start": "from", "end": "to"}
    params = {"metric": metric} | {
        names.get(key, key): str(value) for key, value in filters.items() if value not in (None, "")
    }
    return "/answers?" + urlencode(params)


def status_of(score: Score | None) -> str:
    """The CSS status of a score: met, breached, uncertain, too-few, or none."""
    if score is None or score.n == 0:
        return "none"
    if score.too_few:
        return "too-few"
    return score.target_status or "no-target"


STATUS_WORDS = {
    "met": "target met",
    "breached": "target breached",
    "uncertain": "too close to call",
    "too-few": "too few responses",
    "no-target": "no target",
    "none": "no responses yet",
}


def headline_metric(touchpoint: Touchpoint, scores: dict[str, Score]) -> str | None:
    """The score a card leads with: its first target's metric, else the one with answers."""
    for target in touchpoint.targets:
        return target.metric
    for metric in ("nps", "csat", "ces"):
        if metric in scores and scores[metric].n:
            return metric
    return None


def mid_sentence(name: str) -> str:
    """A name as it reads inside a sentence: "Late arrival" becomes "late arrival"; a name
    that opens with an acronym or a single letter ("DHL late") stays as it is."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


def emotion_word(value: float | None) -> str:
    if value is None:
        return "not measured"
    return EMOTIONS[max(-2, min(2, round(value)))]


OPERATOR_WORDS = {
    "lte": "is at most",
    "gte": "is at least",
    "lt": "is below",
    "gt": "is above",
    "eq": "is",
    "neq": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "answered": "was answered",
    "not_answered": "was not answered",
}


def question_summary(question: Question) -> str:
    """Display logic in words, for the builder's list."""
    parts = []
    for condition in question.show_if:
        op = OPERATOR_WORDS.get(str(condition.get("op")), str(condition.get("op")))
        value = condition.get("value")
        parts.append(f"{condition.get('question')} {op}{'' if value is None else f' {value}'}")
    return "Shown only if " + " and ".join(parts) if parts else ""


def differences(
    theirs: dict[str, str], mine: dict[str, str], labels: dict[str, str], checkboxes: set[str]
) -> list[tuple[str, str]]:
    """Where the stored version of a form's resource differs from the form as its user sent
    it: (field label, their value). Runs of white space compare equal, so a browser's line
    endings are no difference; a checkbox is "on" or absent."""
    found = []
    for name, label in labels.items():
        if name not in theirs:
            continue
        stored, sent = theirs[name], mine.get(name, "")
        if stored.split() == sent.split():
            continue
        if name in checkboxes:
            found.append((label, "yes" if stored == "on" else "no"))
        else:
            found.append((label, stored or "(empty)"))
    return found


# Who changed something, as a person would say it: API keys by what they are for.
KEY_NAMES = {"demo": "the demo loader"}


def actor_name(actor: str, *, start: bool = False) -> str:
    """A staff user is their email; an API key is named for its use ("the demo loader") or
    as a key ("the API key “bot”"). `start`: at the start of a sentence."""
    if not actor:
        words = "someone"
    elif actor.startswith("api-key:"):
        name = actor.removeprefix("api-key:")
        words = KEY_NAMES.get(name, f"the API key “{name}”")
    else:
        return actor
    return words[0].upper() + words[1:] if start else words


# -- a change history, as a person reads it ---------------------------------------------------

HISTORY_ACTIONS = {
    "create": "Created",
    "update": "Changed",
    "reorder": "Moved",
    "delete": "Removed",
}
HISTORY_LABELS = {
    "journey_id": "Journey",
    "stage_id": "Stage",
    "position": "Place in its stage",
    "targets": "Targets",
    **TOUCHPOINT_LABELS,
}
HISTORY_HIDDEN = {"id", "version"}  # what identifies the record, not what it says


@dataclass(frozen=True)
class HistoryEntry:
    sentence: str  # "Created by the demo loader"
    at: datetime
    created: bool  # a creation lists values, not before and after
    rows: list[tuple[str, str, str]]  # (field, before, after)


def history_value(field: str, value: Any, names: dict[str, str]) -> str:
    """One stored value in words: names for ids, targets as sentences, yes or no."""
    if value is None or value == "" or value == []:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.endswith("_id"):
        return names.get(str(value), "one that no longer exists")
    if field == "targets" and isinstance(value, list):
        return "; ".join(target_text(t) for t in value if isinstance(t, dict))
    if field == "designed_emotion" and isinstance(value, int):
        return f"{value:+d} {EMOTIONS.get(value, '')}".strip()
    if field == "position" and isinstance(value, int):
        return str(value + 1)
    if field == "channel":
        return str(value).replace("_", " ")
    return str(value)


def history_entry(change: Change, names: dict[str, str]) -> HistoryEntry:
    """`names`: the journeys, stages and teams the change may refer to, by id."""
    action = HISTORY_ACTIONS.get(change.action, change.action.replace("_", " ").capitalize())
    created = change.action == "create"
    rows = []
    for field, diff in change.changes.items():
        if field in HISTORY_HIDDEN:
            continue
        label = HISTORY_LABELS.get(field, field.replace("_", " ").capitalize())
        if isinstance(diff, dict) and "after" in diff:
            before, after = diff.get("before"), diff["after"]
        else:
            before, after = None, diff
        if created and after in (None, "", []):
            continue  # a creation lists what was set
        rows.append(
            (label, history_value(field, before, names), history_value(field, after, names))
        )
    return HistoryEntry(f"{action} by {actor_name(change.actor)}", change.at, created, rows)


def churn_method(model: ChurnModel | None) -> str:
    """Which churn probabilities revenue at risk and the at-risk list use, and why, in a
    sentence for staff: "Model in use: it beats the NPS-category rates on held-out customers
    (Brier 0.142 vs 0.171)"."""
    if model is None:
        return ""
    checked = model.validation
    versus = f"Brier {checked.brier_model:.3f} vs {checked.brier_baseline:.3f}" if checked else ""
    if model.decision == "in_use":
        return f"Model in use: it beats the NPS-category rates on held-out customers ({versus})."
    if model.decision == "not_better":
        return (
            "NPS-category rates in use: the churn model does not beat them on held-out "
            f"customers by more than chance ({versus})."
        )
    if model.decision == "too_little_data":
        needed = model.minimum
        return (
            f"NPS-category rates in use: a churn model needs {needed['customers']:,} customers "
            f"with an NPS answer, {needed['churned']} of whom churned and {needed['stayed']} "
            f"stayed (now {model.customers or 0:,}, {model.churned or 0:,} churned)."
        )
    return "NPS-category rates in use while the churn model is being fitted."
