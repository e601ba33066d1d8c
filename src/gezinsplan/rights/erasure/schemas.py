"""The erasure's request and answer: ids and counts, never the data erased."""

import uuid
from datetime import datetime

from pydantic import Field

from gezinsplan.kit.schemas import ApiModel, RequestModel
from gezinsplan.rights.schemas import Retention


class ErasureOrder(RequestModel):
    rights_request_id: uuid.UUID = Field(
        description="The family's request for erasure, granted by the privacy officer.",
        examples=["0f6c2a4e-8d1b-4c3e-9a57-2b1d0c9e7f31"],
    )


class ErasureRead(ApiModel):
    household_id: uuid.UUID
    erased_at: datetime
    retention: Retention
    rows: dict[str, int] = Field(description="Rows whose personal data was erased, per table.")
    audit_records_pseudonymised: int
    audit_records_left: int = Field(
        description="Records sealed before erasure existed (migration 0021): their links hash "
        "the record itself, so they keep the ids they name."
    )
