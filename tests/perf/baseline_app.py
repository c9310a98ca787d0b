"""The benchmark's baseline: validate the same JSON with pydantic, insert one row. Nothing else.

uvicorn tests.perf.baseline_app:app   (BASELINE_DATABASE_URL selects the database)
"""

import json
import os
import uuid

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, Text, insert

from cxshared.db import make_engine, write_session

engine = make_engine(os.environ["BASELINE_DATABASE_URL"])
metadata = MetaData()
row = Table(
    "baseline_response",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("submission_id", String(100), unique=True),
    Column("answers", Text),
)
metadata.create_all(engine)


class Submission(BaseModel):
    submission_id: str
    answers: dict[str, int | str]
    complete: bool = True


app = FastAPI()


@app.post("/submit", status_code=201)
def submit(body: Submission) -> dict[str, str]:
    new_id = str(uuid.uuid4())
    with write_session(engine) as session:
        session.execute(
            insert(row).values(
                id=new_id, submission_id=body.submission_id, answers=json.dumps(body.answers)
            )
        )
    return {"id": new_id}
