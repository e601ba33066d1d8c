"""The codelists shipped as data files in this package, loaded once and read-only.

A list changes by editing its file (and its version), never by changing code; every coded
field of the API refers to a list by name.
"""

import json
from datetime import date
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


class Entry(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    label_nl: str
    label_en: str
    national_code: str | None = Field(
        default=None,
        max_length=10,
        description="The entry's code in the national list the codelist is aligned with.",
    )
    valid_from: date
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Codelist(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, frozen=True, extra="forbid")

    name: str
    version: str
    source: str
    description: str
    national_codelist: str | None = Field(
        default=None, description="The national list whose codes the entries carry, if any."
    )
    entries: tuple[Entry, ...]

    @model_validator(mode="after")
    def _codes_unique(self) -> "Codelist":
        codes = [entry.code for entry in self.entries]
        if len(codes) != len(set(codes)):
            raise ValueError(f"codelist {self.name} repeats a code")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code the list has ever held, valid today or not."""
        return tuple(entry.code for entry in self.entries)

    def is_valid(self, code: str, day: date) -> bool:
        """Looked up, not scanned: a bulk sync checks several codes per record."""
        return code in _valid_codes(self.entries, day)


_VALID: dict[tuple[int, date], tuple[tuple[Entry, ...], frozenset[str]]] = {}


def _valid_codes(entries: tuple[Entry, ...], day: date) -> frozenset[str]:
    """The codes valid on a day, kept per entries tuple (a copy with new entries gets its own)."""
    kept = _VALID.get((id(entries), day))
    if kept is None or kept[0] is not entries:
        kept = (entries, frozenset(entry.code for entry in entries if entry.valid_on(day)))
        _VALID[id(entries), day] = kept
    return kept[1]


class UnknownCodelistError(KeyError):
    """A field names a list that has no data file."""


@cache
def all_codelists() -> dict[str, Codelist]:
    """Every list by name, from the JSON files under ``data/``; the file name is the list's."""
    lists = {}
    for resource in sorted(resources.files(__package__).joinpath("data").iterdir(), key=str):
        if resource.name.endswith(".json"):
            codelist = Codelist.model_validate(json.loads(resource.read_text(encoding="utf-8")))
            if f"{codelist.name}.json" != resource.name:
                raise ValueError(f"{resource.name} holds the codelist {codelist.name}")
            lists[codelist.name] = codelist
    return lists


def get(name: str) -> Codelist:
    try:
        return all_codelists()[name]
    except KeyError:
        raise UnknownCodelistError(name) from None
