"""The bare FastAPI endpoint of the ceilings: intake's request model, nothing else."""

from __future__ import annotations

from fastapi import FastAPI

from xinfang.intake.models import PetitionCreate

app = FastAPI()


@app.post("/api/v1/petitions", status_code=201)
async def register(body: PetitionCreate) -> dict[str, str]:
    """Parse the petition as intake does and answer as intake would."""
    return {"case_no": "XF00000000000000", "query_code": "BENCH00000"}
