from sqlmodel import SQLModel

import metrics.models  # noqa: F401  (registers every table)
from cxshared.migrations import run_env

run_env(SQLModel.metadata)
