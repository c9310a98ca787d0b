from metrics.answers.service import CATEGORIES
from metrics.dependencies import query_error
from metrics.scores.schemas import Metric


def check_category(metric: Metric | None, category: str | None) -> None:
    """A category narrows the answers to a band of one metric, so it needs that metric."""
    if category is None:
        return
    if metric is None:
        raise query_error("category", "needs a metric")
    if category not in CATEGORIES[metric]:
        allowed = ", ".join(CATEGORIES[metric])
        raise query_error("category", f"{metric}'s categories are {allowed}")
