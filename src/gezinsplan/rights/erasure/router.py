"""``POST /households/{id}/erasure``: the privacy officer erases a file on a granted request."""

from fastapi import APIRouter, Request

from gezinsplan.access.dependencies import HouseholdReader, RequestDecider
from gezinsplan.audit.models import AuditAction
from gezinsplan.audit.trail import note
from gezinsplan.db import DbSession
from gezinsplan.kit import clock
from gezinsplan.kit.responses import WRITE, problems
from gezinsplan.rights.erasure import service
from gezinsplan.rights.erasure.schemas import ErasureOrder, ErasureRead

router = APIRouter(prefix="/households/{household_id}", tags=["rights"])


@router.post(
    "/erasure",
    summary="Erase the family's personal data on a granted request",
    response_model=ErasureRead,
    responses=problems(*WRITE, 400, 403, 404, 409, 422),
)
def erase_household(
    request: Request,
    household: RequestDecider,
    actor: HouseholdReader,
    session: DbSession,
    data: ErasureOrder,
) -> ErasureRead:
    """For the privacy officer of the household's municipality, naming the family's erasure
    request that was granted. Names, BSNs, birth dates and every free text go; ids, events,
    what the steering figures count and the pseudonymised access log stay. Afterwards the
    household answers 404 to everyone. A file still open, or a municipal file within its
    retention (AVG art. 17(3)(b)), is refused with 409 ``erasure-refused``; a youth-care
    file is destroyed on request (Jeugdwet art. 7.3.9)."""
    note(session, action=AuditAction.DELETE)
    erased = service.erase_on_request(
        session,
        actor,
        household,
        data.rights_request_id,
        municipal_years=request.app.state.settings.retention_municipal_years,
        today=clock.today(),
    )
    return ErasureRead(
        household_id=erased.household_id,
        erased_at=erased.erased_at,
        retention=erased.retention,
        rows=erased.rows,
        audit_records_pseudonymised=erased.audit_pseudonymised,
        audit_records_left=erased.audit_left,
    )
