from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cxshared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///./data/metrics.db"
    port: int = 8003

    # Below this many responses a score is flagged "too few responses" (a touchpoint target's
    # own min_responses takes precedence) and no alert or significant change rests on it.
    min_responses: int = Field(30, ge=1)

    # Alerts: the window a signal is judged on, and the baseline before it.
    alert_window_days: int = Field(28, ge=1, le=365)
    alert_baseline_days: int = Field(90, ge=7, le=730)
    ewma_lambda: float = Field(0.2, gt=0, le=1)
    ewma_limit_sigmas: float = Field(3.0, gt=0)
    # Baselines with fewer answers a day than this use the Bernoulli CUSUM instead of EWMA.
    low_volume_per_day: float = Field(10.0, ge=0)
    cusum_odds_ratio: float = Field(2.0, gt=1)
    cusum_threshold: float = Field(4.5, gt=0)
    # How often every touchpoint is evaluated even when nothing arrives, and how soon a
    # touchpoint that received answers is evaluated again.
    alert_schedule_seconds: float = Field(3600, gt=0)
    alert_debounce_seconds: float = Field(5, ge=0)
    alerts_in_process: bool = True
    alert_response_ids: int = Field(50, ge=1, le=1000)

    # Commercial outcomes. Churn priors per NPS category are used while a category has fewer
    # than min_responses customers with a known outcome.
    churn_prior_promoter: float = Field(0.05, ge=0, le=1)
    churn_prior_passive: float = Field(0.10, ge=0, le=1)
    churn_prior_detractor: float = Field(0.20, ge=0, le=1)
    margin_rate: float = Field(0.30, ge=0, le=1)
    discount_rate: float = Field(0.10, ge=0, le=1)
    # Annual retention for CLV; empty means observed from customers' churn dates.
    retention: float | None = Field(None, ge=0, lt=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
