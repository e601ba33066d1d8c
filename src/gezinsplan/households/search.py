"""The household list's name search: the words of household and member names, by prefix.

On PostgreSQL each name is indexed as words (GIN indexes on ``to_tsvector('simple', ...)``,
migration 0009), so a search costs about the same however many households there are; a
substring search (``ILIKE '%x%'``) read every member of every household. SQLite, the
embedded default, finds the same words with LIKE. Every word searched for must begin a word
of the household's name or of one member's names.
"""

import re

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    false,
    or_,
    select,
    text,
    union,
)
from sqlmodel import col

from gezinsplan.households.models import Household
from gezinsplan.members.models import Member

# Letters and digits: no LIKE wildcard and no tsquery operator can get through.
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8
HOUSEHOLD_WORDS = "to_tsvector('simple', households.name)"
MEMBER_WORDS = "to_tsvector('simple', members.given_name || ' ' || members.family_name)"


def words(search: str) -> list[str]:
    return [word.lower() for word in WORD.findall(search)][:MAX_WORDS]


def name_matches(dialect: str, search: str) -> ColumnElement[bool]:
    """Households whose name, or one of whose members' names, has every word searched for."""
    terms = words(search)
    if not terms:
        return false()
    if dialect == "postgresql":
        query: BindParameter[str] = bindparam(
            "name_words", " & ".join(f"{term}:*" for term in terms)
        )
        matches = union(
            select(col(Household.id)).where(
                text(f"{HOUSEHOLD_WORDS} @@ to_tsquery('simple', :name_words)").bindparams(query)
            ),
            select(col(Member.household_id)).where(
                text(f"{MEMBER_WORDS} @@ to_tsquery('simple', :name_words)").bindparams(query)
            ),
        )
        return col(Household.id).in_(matches)
    household = and_(*[_starts_a_word(col(Household.name), term) for term in terms])
    member = and_(
        *[
            or_(
                _starts_a_word(col(Member.given_name), term),
                _starts_a_word(col(Member.family_name), term),
            )
            for term in terms
        ]
    )
    members = select(col(Member.household_id)).where(member)
    return or_(household, col(Household.id).in_(members))


def _starts_a_word(column: object, term: str) -> ColumnElement[bool]:
    """SQLite: ``term`` begins the text or a word after a space or a hyphen."""
    spaced = " " + term + "%"
    return or_(
        col(column).ilike(term + "%"),
        col(column).ilike("%" + spaced),
        col(column).ilike("%-" + term + "%"),
    )
