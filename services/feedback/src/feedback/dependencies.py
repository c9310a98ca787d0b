"""Dependencies that more than one module of the service takes."""

from typing import Annotated

from fastapi import Depends

from cxshared.deps import state_reader
from cxshared.pagination import PageParams, page_params
from feedback.config import Settings

settings_of = state_reader("settings", Settings)

PageDep = Annotated[PageParams, Depends(page_params)]
