"""Dependencies that more than one router of the service takes."""

from typing import Annotated

from fastapi import Depends, Query

from cxshared.pagination import PageParams, page_params
from cxshared.types import Identifier

PageDep = Annotated[PageParams, Depends(page_params)]

IdFilter = Annotated[Identifier | None, Query()]
