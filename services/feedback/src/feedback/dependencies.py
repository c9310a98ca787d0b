"""Dependencies that more than one module of the service takes."""

from typing import Annotated

from fastapi import Depends

from cxshared.deps import app_state, state_reader
from cxshared.groupcommit import GroupCommit
from cxshared.pagination import PageParams, page_params
from feedback.cases.sla import CasePolicy
from feedback.config import Settings

settings_of = state_reader("settings", Settings)

PageDep = Annotated[PageParams, Depends(page_params)]

# The SLA targets and the clock of every case computation (tests set the clock).
policy_of = state_reader("case_policy", CasePolicy)
# Answers arriving together are written in one transaction (cxshared.groupcommit).
group_commit_of = state_reader("group_commit", GroupCommit)
PolicyDep = Annotated[CasePolicy, Depends(app_state("case_policy", CasePolicy))]
