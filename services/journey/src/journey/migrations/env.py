import journey.models  # noqa: F401  (registers every table)
from cxshared.migrations import run_env
from sqlmodel import SQLModel

run_env(SQLModel.metadata)
