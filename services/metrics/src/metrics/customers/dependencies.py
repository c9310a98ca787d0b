from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError

from cxshared.csvtext import CsvError, CsvRows
from cxshared.deps import app_state
from cxshared.problems import Problem
from metrics.customers.churn_model import ChurnModels
from metrics.customers.schemas import CustomerWrite


async def csv_customers(request: Request) -> list[CustomerWrite]:
    """The customers of a CSV body, each row validated; the first invalid row refuses all."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(400, "bad-request", "Bad request", "The CSV must be UTF-8.") from exc
    rows = []
    try:
        for line, raw in CsvRows(text):
            values = {k: v for k, v in raw.items() if k and v not in (None, "")}
            try:
                # Every CSV value is text: "1200" is read as a number here, as nowhere in JSON.
                rows.append(CustomerWrite.model_validate(values, strict=False))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise Problem(
                    422, "invalid-csv", "Invalid CSV", f"row {line}: {where}: {first['msg']}"
                ) from exc
    except CsvError as exc:
        raise Problem(422, "invalid-csv", "Invalid CSV", str(exc)) from exc
    if not rows:
        raise Problem(422, "invalid-csv", "Invalid CSV", "The CSV has no customer rows.")
    return rows


CsvCustomersDep = Annotated[list[CustomerWrite], Depends(csv_customers)]


ChurnModelsDep = Annotated[ChurnModels, Depends(app_state("churn_models", ChurnModels))]
