from fastapi import APIRouter

from cxshared.auth import Reader
from cxshared.deps import SessionDep
from metrics.drivers import service
from metrics.drivers.dependencies import DriversQueryDep
from metrics.drivers.schemas import DriversRead

router = APIRouter(tags=["drivers"])


@router.get(
    "/drivers",
    response_model=DriversRead,
    summary="Which touchpoints drive relationship NPS or churn, for the importance quadrant",
    description="The unit is the customer (respondent external id); a customer's score at a "
    "touchpoint is the mean of their experience scores there in the period (scored answers "
    "rescaled to -2..+2). **nps**: the outcome is the customer's mean relationship NPS answer "
    "(surveys bound to no touchpoint) in the period; correlations are pairwise over the "
    "customers who answered both. Two touchpoints are compared only when `min_shared_customers` "
    "answered both; touchpoints are fitted together only where every pair was compared, else "
    "each alone (its squared correlation with NPS), and `models`, `unpaired` and `note` say "
    "so. Importance is the Shapley value of R² for up to 10 touchpoints, Johnson's relative "
    "weights above that. **churn**: the outcome is churn within 12 months of the customer's "
    "latest touchpoint answer (customer records); a touchpoint a customer did not answer takes "
    "the mean of those who did; importance is the logistic relative weight (Tonidandel and "
    "LeBreton). Every importance and correlation carries a 95% bootstrap interval (customers "
    "resampled, seeded, `replicates` times). A touchpoint is ranked in `drivers` only when the "
    "interval of its correlation with the outcome excludes zero; every other touchpoint "
    "considered is in `too_little_data` with its reason (too few customers, no variance, "
    "interval includes zero): a touchpoint is in one list or the other. Future-state journeys "
    "are left out unless `journey_id` names one. Performance is each touchpoint's score "
    "against its own target. The period defaults to the 365 days up to today.",
)
def get_drivers(session: SessionDep, _: Reader, query: DriversQueryDep) -> DriversRead:
    return DriversRead.model_validate(service.analyse(session, query))
