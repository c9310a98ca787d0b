"""/healthz (the process is up) and /readyz (database reachable and at migration head)."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cxshared.deps import engine_of
from cxshared.problems import problem_doc, problem_response
from cxshared.schema_level import SchemaMismatch, check_at_head


def health_router(script_location: Path) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database is reachable and at the migration head",
        responses={503: problem_doc("Not ready: the detail says why.")},
    )
    def readyz(request: Request) -> Any:
        engine = engine_of(request)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            check_at_head(engine, script_location)
        except SchemaMismatch as exc:
            return problem_response(
                status=503, slug="not-ready", title="Not ready", detail=str(exc), request=request
            )
        except Exception as exc:
            return problem_response(
                status=503,
                slug="not-ready",
                title="Not ready",
                detail=f"database unreachable: {type(exc).__name__}",
                request=request,
            )
        return JSONResponse({"status": "ready"})

    return router
