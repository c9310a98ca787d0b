from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cxshared.mail.settings import MailSettings
from cxshared.settings import ServiceSettings

# Where the service's Alembic migrations are: the CLI needs this without the app.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Settings(ServiceSettings, MailSettings):
    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./data/metrics.db", description=ServiceSettings.describe("database_url")
    )
    port: int = Field(8003, description=ServiceSettings.describe("port"))

    min_responses: int = Field(
        30,
        ge=1,
        description="Below this many responses a score is flagged too few responses (a "
        "touchpoint target's own min_responses takes precedence) and no alert rests on it.",
    )

    alert_window_days: int = Field(
        28, ge=1, le=365, description="The recent window an alert signal is judged on."
    )
    alert_baseline_days: int = Field(
        365,
        ge=7,
        le=730,
        description="The baseline period before the window; the longer, the smaller its own "
        "error and the fewer false incidents (docs/metrics.md).",
    )
    shift_cusum_se: float = Field(
        0.9,
        gt=0,
        description="The persistent drop the degradation CUSUM is tuned for, in standard errors "
        "of a day's mean at the baseline's daily volume (0.9: 10 NPS points at NPS 30 with 50 "
        "answers a day).",
    )
    shift_cusum_threshold: float = Field(
        4.25, gt=0, description="Degradation CUSUM decision threshold (h, log-likelihood ratio)."
    )
    low_volume_per_day: float = Field(
        10.0,
        ge=0,
        description="Baselines with fewer answers a day use the Bernoulli CUSUM instead of EWMA.",
    )
    cusum_odds_ratio: float = Field(
        2.0, gt=1, description="The rise in the odds of a bad answer the CUSUM looks for."
    )
    cusum_threshold: float = Field(4.5, gt=0, description="CUSUM decision threshold (h).")
    incident_close_after_days: int = Field(
        7,
        ge=1,
        le=90,
        description="Consecutive evaluated days with every signal clear before an incident "
        "closes itself.",
    )
    incident_release_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="A degradation signal counts as back in control once its chart's statistic "
        "is below this share of the decision threshold (hysteresis).",
    )
    incident_reopen_days: int = Field(
        7,
        ge=0,
        le=90,
        description="A signal within this many days of an incident closing reopens it instead of "
        "opening another.",
    )
    alert_schedule_seconds: float = Field(
        3600, gt=0, description="How often every touchpoint is evaluated, answers or not."
    )
    alert_debounce_seconds: float = Field(
        5, ge=0, description="How soon a touchpoint that received answers is evaluated again."
    )
    alerts_in_process: bool = Field(
        True,
        description="Evaluate incidents on a schedule inside `serve`; off: only when asked "
        "(POST /v1/incidents/evaluate).",
    )
    alert_response_ids: int = Field(
        50,
        ge=1,
        le=1000,
        description="Response ids an incident keeps as its evidence (bad answers in the window, "
        "none with a positive comment).",
    )

    churn_prior_promoter: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Annual churn assumed for promoters while fewer than min_responses "
        "of them have a known outcome.",
    )
    churn_prior_passive: float = Field(0.10, ge=0, le=1, description="The same, for passives.")
    churn_prior_detractor: float = Field(0.20, ge=0, le=1, description="The same, for detractors.")
    churn_model_refit_seconds: float = Field(
        600,
        ge=0,
        description="The churn model is fitted again once customers or answers changed and its "
        "fit is older than this; until then, and while the next fit is made, revenue at risk "
        "and the at-risk list use the last fit (its `fitted_at` says when).",
    )
    churn_model_wait_seconds: float = Field(
        3.0,
        ge=0,
        description="How long a request waits for the churn model's first fit before it is "
        "answered with the NPS-category rates (the fit goes on; later requests use it). Below "
        "the gateway's backend timeout.",
    )
    currency: str = Field(
        "EUR",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of customers' annual revenue; every money figure says it.",
    )
    margin_rate: float = Field(
        0.30, ge=0, le=1, description="Gross margin on revenue, for lifetime value."
    )
    discount_rate: float = Field(
        0.10, ge=0, le=1, description="Annual discount rate, for lifetime value."
    )
    retention: float | None = Field(
        None,
        ge=0,
        lt=1,
        description="Annual retention for lifetime value; empty: observed from customers' "
        "churn dates.",
    )

    activity_clock_skew_seconds: int = Field(
        300,
        ge=0,
        le=86_400,
        description="How far in the future an activity event's time may be (a sender's clock "
        "ahead of ours); later is refused.",
    )
    activity_attributes_bytes: int = Field(
        2048, ge=2, le=65_536, description="The largest attributes of an activity, as JSON."
    )
    observed_case_gap_days: int = Field(
        30,
        ge=1,
        le=366,
        description="A customer away from a journey longer than this starts a new case of it "
        "(docs/observed.md).",
    )
    observed_loop_window_days: int = Field(
        7,
        ge=1,
        le=366,
        description="The same touchpoint again within this many days counts as a loop.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
