"""What a caller sees of a household, said in the response that was filtered.

A care provider sees the categories and life domains its organization's valid consents name;
everyone else who reaches the data sees it whole. The object names only what *is* seen, so it
reveals nothing of what is hidden.
"""

import uuid

from pydantic import Field
from sqlalchemy.orm import Session

from gezinsplan.access import repository
from gezinsplan.access.grounds import grounds_for
from gezinsplan.access.scopes import CONSENT_CATEGORIES, CONSENT_CATEGORY, RESIDENT_READS, Scope
from gezinsplan.audit.models import LegalBasis
from gezinsplan.auth.actor import Actor
from gezinsplan.codelists.fields import ConsentCategoryRead, LifeDomainRead
from gezinsplan.households.models import HouseholdRef
from gezinsplan.kit.schemas import ApiModel

WHOLE_FILE = frozenset({LegalBasis.MUNICIPAL_TASK, LegalBasis.REGISSEUR})
RESIDENT_CATEGORIES = [c for c in CONSENT_CATEGORIES if c in {str(s) for s in RESIDENT_READS}]


class Visibility(ApiModel):
    """What of this household the caller sees; present on every response that may be filtered."""

    restricted: bool = Field(
        description="True when this response may leave out what the caller is not shown."
    )
    categories: list[ConsentCategoryRead] = Field(
        description="The data categories of this household the caller sees."
    )
    life_domains: list[LifeDomainRead] | None = Field(
        description="The life domains of this response the caller sees; null when all."
    )


def visibility(session: Session, actor: Actor, household: HouseholdRef, scope: Scope) -> Visibility:
    """The caller's view of one part of a household the access rule has let it into."""
    basis = grounds_for(session, actor, household, scope).basis
    if basis in WHOLE_FILE:
        return Visibility(restricted=False, categories=list(CONSENT_CATEGORIES), life_domains=None)
    if basis is LegalBasis.OWN_DATA:
        return Visibility(restricted=False, categories=RESIDENT_CATEGORIES, life_domains=None)
    held = repository.held_consents(session, actor, household.id, scope)
    category = CONSENT_CATEGORY[scope]
    domains_by_consent: dict[uuid.UUID, set[str]] = {}
    for consent in held:
        if consent.category == category:
            domains = domains_by_consent.setdefault(consent.consent_id, set())
            if consent.life_domain is not None:
                domains.add(consent.life_domain)
    unlimited = any(not domains for domains in domains_by_consent.values())
    seen: set[str] = set().union(*domains_by_consent.values())
    return Visibility(
        restricted=not unlimited,
        categories=sorted({consent.category for consent in held}),
        life_domains=None if unlimited else sorted(seen),
    )
