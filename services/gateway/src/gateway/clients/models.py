"""What the gateway reads from the backends: its own models, holding only the fields its pages
use (a backend may add fields without breaking a page)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Remote(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Target(Remote):
    metric: str
    value: float
    direction: str = "at_least"
    min_responses: int = 30


class Team(Remote):
    id: str
    name: str
    version: int


class Touchpoint(Remote):
    id: str
    version: int
    stage_id: str
    journey_id: str
    position: int
    name: str
    description: str = ""
    channel: str
    interaction: str
    owner_team_id: str | None = None
    owner_name: str = ""
    owner_email: str | None = None
    moment_of_truth: bool = False
    standard: str = ""
    designed_emotion: int | None = None
    targets: list[Target] = Field(default_factory=list)
    activities: list[str] = Field(default_factory=list)
    indicator: dict[str, Any] | None = None
    updated_at: datetime
    updated_by: str = ""


class Stage(Remote):
    id: str
    version: int
    journey_id: str
    position: int
    name: str
    description: str = ""
    experience: str = ""
    designed_emotion: int = 0
    touchpoints: list[Touchpoint] = Field(default_factory=list)
    updated_by: str = ""


class JourneySummary(Remote):
    id: str
    version: int
    name: str
    description: str = ""
    state: str
    status: str
    owner_name: str = ""
    last_reviewed_date: date | None = None
    updated_at: datetime
    origin_journey_id: str | None = None  # a copy's (or a restored version's) journey


class Journey(JourneySummary):
    stages: list[Stage] = Field(default_factory=list)

    def touchpoints(self) -> list[Touchpoint]:
        return [t for stage in self.stages for t in stage.touchpoints]


class Change(Remote):
    id: str
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any] = Field(default_factory=dict)


class VersionSummary(Remote):
    """A version journey kept of a journey's map: at a publish, or a day's last live change."""

    number: int
    reason: str  # published | changed
    day: date
    taken_at: datetime
    updated_at: datetime
    updated_by: str = ""


class MapTouchpoint(Remote):
    id: str
    name: str
    description: str = ""
    channel: str
    interaction: str
    owner_team_id: str | None = None
    owner_team_name: str | None = None  # as it was when the version was kept
    owner_name: str = ""
    owner_email: str | None = None
    standard: str = ""
    moment_of_truth: bool = False
    targets: list[Target] = Field(default_factory=list)


class MapStage(Remote):
    id: str
    name: str
    experience: str = ""
    touchpoints: list[MapTouchpoint] = Field(default_factory=list)


class MapJourney(Remote):
    name: str
    description: str = ""
    state: str
    status: str
    owner_name: str = ""


class JourneyMap(Remote):
    journey: MapJourney
    stages: list[MapStage] = Field(default_factory=list)


class Version(VersionSummary):
    map: JourneyMap


class VersionPage(Remote):
    items: list[VersionSummary]
    next_cursor: str | None = None


class ValueChange(Remote):
    before: Any = None
    after: Any = None


class StageRef(Remote):
    id: str
    name: str


class StageChange(StageRef):
    changes: dict[str, ValueChange] = Field(default_factory=dict)


class TouchpointRef(Remote):
    id: str
    name: str
    stage_id: str
    stage_name: str


class TouchpointMove(TouchpointRef):
    from_stage_id: str
    from_stage_name: str
    from_position: int
    position: int


class TouchpointChange(TouchpointRef):
    before: Any = None
    after: Any = None


class VersionComparison(Remote):
    """What changed from one version of a map to another (journey's compare)."""

    from_version: int
    to_version: int | None = None
    journey: dict[str, ValueChange] = Field(default_factory=dict)
    stages_added: list[StageRef] = Field(default_factory=list)
    stages_removed: list[StageRef] = Field(default_factory=list)
    stages_changed: list[StageChange] = Field(default_factory=list)
    touchpoints_added: list[TouchpointRef] = Field(default_factory=list)
    touchpoints_removed: list[TouchpointRef] = Field(default_factory=list)
    touchpoints_moved: list[TouchpointMove] = Field(default_factory=list)
    touchpoints_reowned: list[TouchpointChange] = Field(default_factory=list)
    touchpoints_renamed: list[TouchpointChange] = Field(default_factory=list)
    standards_changed: list[TouchpointChange] = Field(default_factory=list)
    targets_changed: list[TouchpointChange] = Field(default_factory=list)


class Score(Remote):
    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool
    min_responses: int
    target: dict[str, Any] | None = None
    target_status: str | None = None


class Emotion(Remote):
    designed: float | None = None
    measured: float | None = None
    n: int = 0
    comments: int = 0
    negative_comments: int = 0


class OverlayTouchpoint(Remote):
    id: str
    emotion: Emotion
    scores: dict[str, Score] = Field(default_factory=dict)


class OverlayStage(Remote):
    id: str
    emotion: Emotion
    scores: dict[str, Score] = Field(default_factory=dict)
    touchpoints: list[OverlayTouchpoint] = Field(default_factory=list)


class Overlay(Remote):
    journey_id: str
    stages: list[OverlayStage] = Field(default_factory=list)

    def touchpoint_scores(self) -> dict[str, OverlayTouchpoint]:
        return {t.id: t for stage in self.stages for t in stage.touchpoints}

    def stage_emotions(self) -> dict[str, Emotion]:
        return {stage.id: stage.emotion for stage in self.stages}


class Question(Remote):
    key: str
    type: str
    prompt: str
    help: str = ""
    required: bool = False
    show_if: list[dict[str, Any]] = Field(default_factory=list)
    scale: int | None = None
    choices: list[dict[str, str]] = Field(default_factory=list)
    max_length: int | None = None
    max_selected: int | None = None


class PublicSurvey(Remote):
    slug: str
    version: int
    title: str
    intro: str = ""
    thank_you: str = ""
    questions: list[Question]
    hidden_fields: list[str] = Field(default_factory=list)
    allowed_origins: list[str] = Field(default_factory=list)
    accepting_responses: bool
    closed_reason: str | None = None


class Submission(Remote):
    id: str
    status: str
    resume_token: str
    answers: dict[str, Any] = Field(default_factory=dict)
    thank_you: str | None = None


class Filters(Remote):
    """What a dashboard view is narrowed to; every field is a query parameter of the page."""

    journey_id: str | None = None
    stage_id: str | None = None
    channel: str | None = None
    segment: str | None = None

    def params(self) -> dict[str, str | None]:
        return self.model_dump()


class ScoreChange(Remote):
    current: Score
    base: Score
    difference: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    significant: bool = False


class SeriesPoint(Remote):
    start: date
    end: date
    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool
    complete: bool = True


class IncidentSignal(Remote):
    metric: str
    rule: str  # target_breach or degradation
    active: bool = False
    first_seen: str = ""
    last_seen: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class EvidenceQuote(Remote):
    response_id: str
    text: str
    sentiment: float | None = None
    sentiment_label: str = "neutral"


class EvidenceTheme(Remote):
    theme_id: str
    name: str
    answers: int
    share: float
    examples: list[EvidenceQuote] = Field(default_factory=list)


class EvidenceOther(Remote):
    answers: int = 0
    share: float = 0.0
    examples: list[EvidenceQuote] = Field(default_factory=list)


class IncidentEvidence(Remote):
    """The comments behind an incident over its window, counted by theme; never praise."""

    start: date
    end: date
    comments: int
    themes: list[EvidenceTheme] = Field(default_factory=list)
    other: EvidenceOther = Field(default_factory=EvidenceOther)


class Incident(Remote):
    """One problem at one touchpoint, with every signal on it (metrics' incident)."""

    id: str
    version: int
    status: str
    touchpoint_id: str
    touchpoint_name: str = ""
    journey_id: str | None = None
    owner_name: str = ""
    owner_email: str | None = None
    owner_team_id: str | None = None
    opened_at: datetime
    reopened_at: datetime | None = None
    reopen_count: int = 0
    escalated_at: datetime | None = None
    signals: list[IncidentSignal] = Field(default_factory=list)
    response_ids: list[str] = Field(default_factory=list)
    evidence: IncidentEvidence | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    note: str = ""
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str = ""

    @property
    def shown_signals(self) -> list[IncidentSignal]:
        """The signals that hold, or, once none does, every one it had."""
        return [s for s in self.signals if s.active] or self.signals


class IncidentPage(Remote):
    items: list[Incident]
    next_cursor: str | None = None


class Comment(Remote):
    response_id: str
    touchpoint_id: str | None = None
    comment: str
    sentiment: float | None = None
    sentiment_label: str | None = None
    nps: int | None = None
    submitted_at: datetime
    segment: str | None = None


class Answer(Remote):
    """A response as the scores count it (metrics' fact)."""

    response_id: str
    survey_id: str
    touchpoint_id: str = ""
    respondent_id: str | None = None
    submitted_at: datetime
    channel: str = ""
    segment: str = ""
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    comment: str | None = None
    sentiment: float | None = None


class AnswerPage(Remote):
    items: list[Answer]
    total: int
    next_cursor: str | None = None


class Driver(Remote):
    touchpoint_id: str
    name: str
    owner_name: str = ""
    n: int
    importance: float | None = None
    importance_low: float | None = None
    importance_high: float | None = None
    correlation: float | None = None
    share: float | None = None
    rank: int | None = None
    quadrant: str | None = None
    performance: dict[str, Any] = Field(default_factory=dict)


class Unranked(Remote):
    touchpoint_id: str
    name: str
    n: int
    reason: str = ""
    why: str = ""
    importance: float | None = None


class Drivers(Remote):
    outcome: str
    method: str | None = None
    insufficient: str | None = None
    r_squared: float | None = None
    customers: int = 0
    min_shared_customers: int | None = None
    replicates: int | None = None
    note: str | None = None
    models: list[dict[str, Any]] = Field(default_factory=list)
    unpaired: list[dict[str, Any]] = Field(default_factory=list)
    drivers: list[Driver] = Field(default_factory=list)
    too_little_data: list[Unranked] = Field(default_factory=list)
    thresholds: dict[str, Any] | None = None


class Survey(Remote):
    id: str
    version: int
    slug: str
    title: str
    intro: str = ""
    thank_you: str = ""
    touchpoint_id: str | None = None
    status: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    response_cap: int | None = None
    allowed_origins: list[str] = Field(default_factory=list)
    hidden_fields: list[str] = Field(default_factory=list)
    allow_anonymous: bool = True
    one_response_per_invitation: bool = True
    fatigue_days: int | None = None
    min_seconds_to_complete: int = 0
    store_ip: bool = False
    questions: list[Question] = Field(default_factory=list)
    published_version: int | None = None
    has_unpublished_changes: bool = False
    updated_at: datetime
    updated_by: str = ""


class Invitation(Remote):
    id: str
    external_id: str
    email: str | None = None
    channel: str = "email"
    status: str
    expires_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None  # when the SMTP server accepted its mail
    opened_at: datetime | None = None
    completed_at: datetime | None = None


class InvitationResult(Remote):
    created: list[dict[str, Any]] = Field(default_factory=list)
    skipped: list[dict[str, Any]] = Field(default_factory=list)


class SurveyResponse(Remote):
    id: str
    survey_id: str = ""
    touchpoint_id: str | None = None
    status: str
    answers: dict[str, Any] = Field(default_factory=dict)
    hidden: dict[str, str] = Field(default_factory=dict)
    respondent_external_id: str | None = None
    channel: str = ""
    flags: list[str] = Field(default_factory=list)
    version: int
    started_at: datetime | None = None
    completed_at: datetime | None = None
    submitted_at: datetime | None = None


class TouchpointSummary(Remote):
    id: str
    name: str
    journey_id: str
    stage_id: str


class TouchpointGroup(Remote):
    """A journey's touchpoints, for a picker: two journeys may both have a "Checkout"."""

    journey_id: str
    label: str = Field(description="The journey's name, and whether it is a draft or future.")
    touchpoints: list[TouchpointSummary]

    @staticmethod
    def label_of(journey: JourneySummary) -> str:
        notes = []
        if journey.state == "future" and "future" not in journey.name.lower():
            notes.append("future state")
        if journey.status != "live":
            notes.append(journey.status)
        return journey.name + (f" \u2013 {', '.join(notes)}" if notes else "")


def touchpoint_names(groups: list[TouchpointGroup]) -> dict[str, str]:
    """Each touchpoint's name with its journey's: what a list of surveys shows."""
    return {t.id: f"{t.name} · {g.label}" for g in groups for t in g.touchpoints}


class EvidenceRef(Remote):
    """An opportunity's evidence: a response, theme, case, incident or finding."""

    kind: str
    id: str
    label: str = ""


class Opportunity(Remote):
    id: str
    version: int
    journey_id: str
    stage_id: str | None = None
    touchpoint_id: str | None = None
    title: str
    description: str = ""
    kind: str
    status: str
    customer_value: int = 0
    business_value: int = 0
    effort: int = 0
    priority: float = 0
    evidence: list[EvidenceRef] = Field(default_factory=list)
    owner_name: str = ""
    priority_override: float | None = None
    priority_reason: str = ""


class Action(Remote):
    """A planned change to the experience (journey's `action`)."""

    id: str
    version: int
    journey_id: str
    title: str
    description: str = ""
    opportunity_ids: list[str] = Field(default_factory=list)
    touchpoint_ids: list[str] = Field(default_factory=list)
    stage_ids: list[str] = Field(default_factory=list)
    owner_name: str = ""
    owner_email: str | None = None
    team_id: str | None = None
    due_date: date | None = None
    state: str
    shipped_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""


class Review(Remote):
    id: str
    journey_id: str
    reviewed_on: date
    decision: str
    acknowledged: list[str] = Field(default_factory=list)
    updated_by: str = ""
    created_at: datetime | None = None


class Theme(Remote):
    id: str
    version: int
    name: str
    description: str = ""
    phrases: list[str] = Field(default_factory=list)


class ThemeSuggestion(Remote):
    name: str
    description: str = ""
    phrases: list[str] = Field(default_factory=list)
    comments: int = 0
    terms: list[str] = Field(default_factory=list)


class Estimate(Remote):
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int = 0


class ThemeImpact(Remote):
    points: Estimate = Estimate()
    nps: float | None = None
    nps_without: float | None = None
    detractors: int = 0
    too_few_responses: bool = True


class ThemeTrend(Remote):
    previous_share: Estimate = Estimate()
    difference: float | None = None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None


class ThemeTouchpoint(Remote):
    touchpoint_id: str
    name: str = ""
    comments: int = 0
    impact: ThemeImpact = ThemeImpact()


class ThemeFigures(Remote):
    theme_id: str
    name: str
    comments: int = 0
    share: Estimate = Estimate()
    trend: ThemeTrend = ThemeTrend()
    detractor_share: Estimate = Estimate()
    sentiment: Estimate = Estimate()
    touchpoints: list[ThemeTouchpoint] = Field(default_factory=list)
    impact: ThemeImpact = ThemeImpact()


class RiskReason(Remote):
    words: str
    odds_ratio: float | None = None


class AtRiskCustomer(Remote):
    external_id: str
    name: str = ""
    segment: str = ""
    annual_revenue: float
    p: float
    expected_loss: float
    latest_nps: int
    category: str
    answered_at: datetime
    reasons: list[RiskReason] = Field(default_factory=list)


class AtRiskPage(Remote):
    """A page of the customers most at risk, and which churn probabilities ranked them."""

    items: list[AtRiskCustomer]
    next_cursor: str | None = None
    method: str
    as_of: datetime
    currency: str


class ChurnFeature(Remote):
    name: str
    customers: int
    odds_ratio: float | None = None


class ChurnValidation(Remote):
    training: int
    held_out: int
    held_out_churned: int
    brier_model: float
    brier_baseline: float
    brier_difference: float
    brier_difference_low: float
    brier_difference_high: float
    skill_score: float | None = None
    auc_model: float
    auc_baseline: float
    calibration_intercept: float
    calibration_slope: float
    mean_predicted: float
    observed_rate: float
    calibration: list[dict[str, Any]] = Field(default_factory=list)


class ChurnModel(Remote):
    """The churn model: whether it is used (`decision`), its inputs and its held-out figures."""

    decision: str
    reason: str
    label: str
    baseline: str
    minimum: dict[str, int]
    customers: int | None = None
    churned: int | None = None
    follow_up_incomplete: int | None = None
    features: list[ChurnFeature] = Field(default_factory=list)
    touchpoints_left_out: list[dict[str, Any]] = Field(default_factory=list)
    validation: ChurnValidation | None = None
    fitted_at: datetime | None = None
    seconds: float | None = None


class CaseClock(Remote):
    target_seconds: float
    used_seconds: float
    due_at: datetime | None = None
    running: bool
    stopped: bool
    at_risk: bool
    breached: bool


class CaseAssignee(Remote):
    email: str | None = None
    name: str = ""
    team_id: str | None = None
    team_name: str | None = None
    routed: bool = False


class CaseFollowUp(Remote):
    """The recovery follow-up: when its link was made and answered, and the score given."""

    sent_at: datetime | None = None
    answered_at: datetime | None = None
    score: int | None = None


class Case(Remote):
    id: str
    version: int
    source: str
    response_id: str | None = None
    survey_id: str | None = None
    touchpoint_id: str | None = None
    touchpoint_name: str | None = None
    journey_id: str | None = None
    journey_name: str | None = None
    respondent_external_id: str | None = None
    title: str
    description: str = ""
    reason: str = ""
    priority: str
    state: str
    assignee: CaseAssignee
    root_cause: dict[str, Any] | None = None
    resolution: str = ""
    recovered: bool | None = None
    follow_up: CaseFollowUp = Field(default_factory=CaseFollowUp)
    opened_at: datetime
    first_contact_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    sla: dict[str, CaseClock] = {}
    at_risk: bool = False
    breached: bool = False
    updated_by: str = ""


class CasePage(Remote):
    items: list[Case]
    next_cursor: str | None = None


class CaseCounts(Remote):
    mine: int
    team: int
    unassigned: int
    breached: int
    at_risk: int


class CaseNote(Remote):
    id: str
    body: str
    author: str
    created_at: datetime


class CaseContact(Remote):
    id: str
    channel: str
    outcome: str
    contacted_at: datetime
    note: str = ""
    author: str


class CaseChange(Remote):
    id: str
    actor: str
    action: str
    changes: dict[str, Any] = {}
    at: datetime


class RootCause(Remote):
    id: str
    name: str
    journey_id: str | None = None


class TimelineEntry(Remote):
    kind: str
    at: datetime
    id: str
    survey_id: str | None = None
    survey_title: str | None = None
    case_id: str | None = None
    summary: str
    text: str = ""
    status: str | None = None
    scores: dict[str, int] = {}
    channel: str | None = None
    author: str | None = None


class Timeline(Remote):
    items: list[TimelineEntry]
    next_cursor: str | None = None
