"""How long a household's file is kept, from the laws that applied and the episode's end.

A file that held youth care (a Jeugdwet indication) is kept 20 years after care ended
(Jeugdwet art. 7.3.8); other municipal files as long as the municipality's selection list
says (``retention_municipal_years``, 15 by default: Selectielijst gemeenten 3.1.5).
"""

from collections.abc import Sequence
from datetime import date

from gezinsplan.episodes.models import Episode
from gezinsplan.indications.models import Indication
from gezinsplan.kit.clock import NETHERLANDS
from gezinsplan.rights.schemas import Retention

YOUTH_CARE_YEARS = 20
YOUTH_CARE = "Jeugdwet art. 7.3.8: 20 years after youth care ended."


def retention_of(
    episodes: Sequence[Episode], indications: Sequence[Indication], municipal_years: int
) -> Retention:
    youth_care = any(i.regulation == "jeugdwet" for i in indications)
    years = YOUTH_CARE_YEARS if youth_care else municipal_years
    basis = (
        YOUTH_CARE
        if youth_care
        else f"Selectielijst gemeenten: {municipal_years} years after the file was closed."
    )
    ended = [e.closed_at for e in episodes]
    open_ = not ended or any(closed is None for closed in ended)
    ends_on = None
    if not open_:
        last = max(c for c in ended if c is not None).astimezone(NETHERLANDS).date()
        ends_on = _years_after(last, years)
    return Retention(
        retention_class="youth_care" if youth_care else "municipal_file",
        basis=basis,
        ends_on=ends_on,
    )


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
