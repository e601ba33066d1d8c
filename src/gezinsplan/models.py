"""Every table model, imported once so the metadata is complete (for Alembic and tests)."""

from sqlmodel import SQLModel

from gezinsplan.events.models import Event
from gezinsplan.households.models import Household
from gezinsplan.members.models import Member
from gezinsplan.organizations.models import Organization, ServedMunicipality

metadata = SQLModel.metadata

__all__ = ["Event", "Household", "Member", "Organization", "ServedMunicipality", "metadata"]
