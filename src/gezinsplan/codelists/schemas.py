"""Response bodies for the codelists."""

from datetime import date

from gezinsplan.kit.schemas import ApiModel


class CodelistEntryRead(ApiModel):
    code: str
    label_nl: str
    label_en: str
    valid_from: date
    valid_until: date | None


class CodelistSummary(ApiModel):
    name: str
    version: str
    source: str
    description: str


class CodelistRead(CodelistSummary):
    entries: list[CodelistEntryRead]


class CodelistIndex(ApiModel):
    items: list[CodelistSummary]
