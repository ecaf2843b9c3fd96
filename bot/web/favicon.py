"""The site icon, asked for by every browser on every page (a 404 otherwise fills the logs)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

ICON = Path(__file__).resolve().parent / "static" / "favicon.svg"

router = APIRouter()


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    # Browsers take an SVG here too; one small vector file serves every size.
    return FileResponse(ICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})
