"""Response bodies for the codelists."""

from datetime import date

from pydantic import Field

from gezinsplan.kit.schemas import ApiModel


class CodelistEntryRead(ApiModel):
    code: str
    label_nl: str
    label_en: str
    national_code: str | None = Field(
        description=(
            "The code in the national list named by the codelist's `nationalCodelist` "
            "(e.g. the CBS Beleidsinformatie Jeugd reason of ending); null where none exists."
        ),
        examples=["01"],
    )
    valid_from: date
    valid_until: date | None


class CodelistSummary(ApiModel):
    name: str
    version: str
    source: str
    description: str
    national_codelist: str | None = Field(
        description="The national list the entries' `nationalCode`s come from, if any.",
        examples=["CBS Beleidsinformatie Jeugd: reden beëindiging jeugdhulp"],
    )


class CodelistRead(CodelistSummary):
    entries: list[CodelistEntryRead]


class CodelistIndex(ApiModel):
    items: list[CodelistSummary]
