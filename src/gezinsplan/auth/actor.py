"""Who is calling, as the token's claims describe them."""

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TOEGANG = "toegang"
    CARE_PROVIDER = "care_provider"
    MUNICIPAL_SYSTEM = "municipal_system"
    PARTNER_SYSTEM = "partner_system"
    POLICY = "policy"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"
    RESIDENT = "resident"


@dataclass(frozen=True)
class Actor:
    """The caller: ``sub``, ``name``, ``org``, ``roles``, ``municipalities``, ``member``."""

    sub: str
    name: str
    org: uuid.UUID | None
    roles: frozenset[Role]
    municipalities: frozenset[str]
    member: uuid.UUID | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles
