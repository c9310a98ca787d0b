from sqlmodel import SQLModel

import gateway.models  # noqa: F401  (registers every table)
from cxshared.migrations import run_env

run_env(SQLModel.metadata)
