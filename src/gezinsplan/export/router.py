"""HTTP endpoint for the household's file as one copy, as JSON or as a FHIR Bundle."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from gezinsplan.access.dependencies import HouseholdReader, VisibleHousehold
from gezinsplan.db import DbSession
from gezinsplan.errors import NotAcceptable
from gezinsplan.export import fhir, service
from gezinsplan.export.schemas import FileExport
from gezinsplan.kit import media
from gezinsplan.kit.responses import ProblemDetails, problems

router = APIRouter(prefix="/households/{household_id}", tags=["export"])

JSON = "application/json"
# JSON wins a tie (no Accept, */*): what every other endpoint answers in.
OFFERED = (JSON, fhir.FHIR_JSON)
AcceptHeader = Annotated[str | None, Header(alias="Accept", include_in_schema=False)]
FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "The file as JSON (the default, also for */*), each part as its read endpoint "
            "gives it; as application/fhir+json a FHIR R4B Bundle of type collection, whose "
            "every reference resolves inside it (decision 0027)."
        ),
        "content": {
            fhir.FHIR_JSON: {
                "schema": {
                    "type": "object",
                    "description": "A FHIR R4B Bundle (https://hl7.org/fhir/R4B/bundle.html).",
                }
            }
        },
    },
    406: {
        "model": ProblemDetails,
        "description": "Accept names neither application/json nor application/fhir+json.",
        "content": {"application/problem+json": {}},
    },
}


@router.get(
    "/export",
    summary="Export the household's file",
    response_model=FileExport,
    responses=problems(401, 404) | FORMATS,
)
def export_file(
    household: VisibleHousehold,
    actor: HouseholdReader,
    session: DbSession,
    response: Response,
    accept: AcceptHeader = None,
) -> FileExport | Response:
    """The whole file as far as the caller may read it: a care provider gets what its
    consents share, as from each read endpoint. Audited as an export."""
    media_type = media.negotiate(accept, OFFERED)
    if media_type is None:
        raise NotAcceptable(
            f"The file is available as {', '.join(OFFERED)}.", headers={"Vary": "Accept"}
        )
    export = service.export(session, actor, household)
    if media_type == fhir.FHIR_JSON:
        named = service.organizations_named(session, fhir.organization_ids(export))
        return Response(
            json.dumps(fhir.bundle(export, named)),
            media_type=fhir.FHIR_JSON,
            headers={"Vary": "Accept"},
        )
    response.headers["Vary"] = "Accept"
    return export
