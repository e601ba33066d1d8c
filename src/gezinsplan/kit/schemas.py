"""Base schemas of the API: camelCase on the wire, strict requests, safe strings."""

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

# Printable text: no NUL or other C0 control characters except tab and newlines.
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=TEXT_PATTERN),
]
Text = Annotated[str, StringConstraints(max_length=4000, pattern=TEXT_PATTERN)]
SearchText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=TEXT_PATTERN)]
MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date_text(value: object) -> object:
    """Pydantic would also take 0, "0" or a datetime as a date; the API takes only YYYY-MM-DD."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


# A calendar date in a request body, exactly as the document says: ISO 8601 text.
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]

_ISO_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T")


def _iso_datetime_text(value: object) -> object:
    """Pydantic would also take 0.5 as a moment (seconds since 1970); the API takes only
    RFC 3339 text, as the document says."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise ValueError("must be a date-time as RFC 3339, e.g. 2026-11-24T09:00:00Z")


# A moment with its offset, as RFC 3339 text (query parameters and bodies).
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_text)]


class ApiModel(BaseModel):
    """A response body: camelCase aliases, built from attributes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class RequestModel(BaseModel):
    """A request body: camelCase only, unknown fields rejected, no NaN or infinity."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=False,
        extra="forbid",
        allow_inf_nan=False,
    )
