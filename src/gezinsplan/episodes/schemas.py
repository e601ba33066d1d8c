"""Response bodies for episodes."""

import uuid
from datetime import datetime

from pydantic import Field

from gezinsplan.codelists.fields import ClosingReasonRead, ReferralSourceRead
from gezinsplan.kit.schemas import ApiModel


class EpisodeRead(ApiModel):
    id: uuid.UUID
    household_id: uuid.UUID
    opened_at: datetime
    opened_by: str | None = Field(
        description="Who opened it (token `sub`); null for episodes from before they were kept."
    )
    referral_source: ReferralSourceRead
    closed_at: datetime | None
    closed_by: str | None
    closing_reason: ClosingReasonRead | None
