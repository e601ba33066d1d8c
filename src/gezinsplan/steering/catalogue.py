"""The indicator catalogue: each figure's fixed definition, as DHIS2 and WHO SMART describe
an indicator (numerator, denominator, breakdowns, periods), with its national counterpart.

Only the indicators this service computes are listed; the catalogue grows with them.
"""

from dataclasses import dataclass
from enum import StrEnum

from gezinsplan.steering.periods import PeriodKind

ALL_PERIODS = tuple(PeriodKind)
DISCLOSURE = (
    "Counts 0-7 hidden (null, reason small_count), other counts rounded to a multiple of 5; "
    "within a breakdown with its total, and between each municipality and all together, more "
    "cells are hidden (reason secondary) until no hidden cell can be recomputed; shares from "
    "rounded counts, only with a rounded denominator of at least 10 and neither part hidden; "
    "means and medians only with n >= 10."
)


class Breakdown(StrEnum):
    MUNICIPALITY = "municipality"
    REFERRAL_SOURCE = "referral_source"
    CLOSING_REASON = "closing_reason"
    LIFE_DOMAIN = "life_domain"
    TEAM = "team"
    REGISSEUR = "regisseur"


TEAM_RULE = (
    " Team: the organization of the household's regisseur assignment active at the episode's "
    "end when it closed in the period, else at the end of the period's last day (an assignment "
    "started before that moment and not ended before it); none when there was no regisseur "
    "(waiting for one). Groups name the organization's id."
)


@dataclass(frozen=True)
class Indicator:
    id: str
    name_nl: str
    name_en: str
    definition: str
    numerator: str
    denominator: str | None
    breakdowns: tuple[Breakdown, ...]
    national_source: str | None
    periods: tuple[PeriodKind, ...] = ALL_PERIODS
    disclosure: str = DISCLOSURE


OUTCOMES = (
    Indicator(
        id="goal-attainment",
        name_nl="Doelrealisatie per leefgebied",
        name_en="Goal attainment per life domain",
        definition=(
            "Goals of the plan judged final for the first time in the period: achieved, partly "
            "achieved or not achieved. A judgement is the goal's status, dated by the plan "
            "version in which the goal took it, or an evaluation outcome, dated by the "
            "evaluation. A goal counts once, in the period of its first judgement; its outcome "
            "is the latest judgement up to the period's last day, and on one day an evaluation "
            "outcome wins over a status (the evaluation is the judgement made with the family). "
            "A goal cancelled at the period's end is left out. Shares of achieved, partly and "
            "not achieved over all goals judged."
        ),
        numerator="Goals first judged in the period, by their outcome (and life domain).",
        denominator="All goals first judged in the period.",
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.LIFE_DOMAIN),
        national_source=(
            "NJi/VNG outcome indicator 3.4 doelrealisatie (overeengekomen doelen gerealiseerd)"
        ),
    ),
    Indicator(
        id="zrm-change",
        name_nl="Verandering in zelfredzaamheid (ZRM) per leefgebied",
        name_en="Change in self-sufficiency (ZRM) per life domain",
        definition=(
            "Per household and life domain, the first and the last ZRM score (1-5) up to the "
            "period's last day: each goal's start score on the day the goal was created (as the "
            "plan kept it at the period's end) and each evaluation's score on its day. Counted "
            "when the last score falls in the period and at least 30 days after the first. "
            "Improved, same or worse (last against first), the change (median and mean), "
            "reaching the target score of the domain's most recent goal, and problem scores "
            "(1 or 2) at the first and at the last score."
        ),
        numerator="Household life domains measured, improved, same, worse, reaching the target, "
        "with a problem score at the start and at the end.",
        denominator=(
            "Household life domains measured in the period; for reaching the target: those "
            "with a goal in the domain."
        ),
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.LIFE_DOMAIN),
        national_source=(
            "Zelfredzaamheid-Matrix (ZRM 2017): voortgang between two measurements; NJi/VNG "
            "outcome indicator 3.3 (zelfredzaamheid toegenomen)"
        ),
    ),
    Indicator(
        id="own-strength",
        name_nl="Eigen kracht en netwerk in het plan",
        name_en="Own strength and network in the plan",
        definition=(
            "The actions in the plans, as kept at the period's end, of households with an "
            "episode open at some moment in the period, by who takes them: a family member, "
            "the own network, a professional or an organization. Own strength is a member and "
            "the own network together. Shares over all actions, by the life domain of the "
            "action's goal."
        ),
        numerator="Actions by performer; own strength = member + own network.",
        denominator="All actions in those plans.",
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.LIFE_DOMAIN),
        national_source=(
            "ZRM-Krachtenwijzer: eigen kracht / netwerk / hulpverlening per domein (analogue)"
        ),
    ),
    Indicator(
        id="parties",
        name_nl="Betrokken partijen per huishouden",
        name_en="Parties involved per household",
        definition=(
            "Households with an episode open at the end of the period's last day: the number "
            "of distinct care-provider organizations then, from active care-provider roles and "
            "indications running on that day (not withdrawn) by their provider organization, or "
            "their provider's AGB code when it has none. Median and mean (n >= 10), the number "
            "of households with 0, 1, 2 and 3 or more, and the share with 3 or more."
        ),
        numerator="Open households by number of parties; households with 3 or more.",
        denominator="Households open at the end of the period's last day.",
        breakdowns=(Breakdown.MUNICIPALITY,),
        national_source=None,
    ),
)

INDICATORS = (
    Indicator(
        id="inflow",
        name_nl="Instroom (nieuw en herhaald beroep)",
        name_en="Inflow (new and repeat)",
        definition=(
            "Episodes opened in the period. Repeat (herhaald beroep): the household had an "
            "episode that closed in the 5 years before this opening, with at least one day "
            "between that closing and this opening; otherwise new." + TEAM_RULE
        ),
        numerator="Episodes whose opening falls on a day of the period.",
        denominator=None,
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.REFERRAL_SOURCE, Breakdown.TEAM),
        national_source=(
            "CBS Beleidsinformatie Jeugd: trajecten begonnen, nieuw / herhaald beroep, per "
            "verwijzer (StatLine 85097NED)"
        ),
    ),
    Indicator(
        id="outflow",
        name_nl="Uitstroom naar reden beëindiging",
        name_en="Outflow by reason of ending",
        definition=(
            "Episodes closed in the period, by the national reason of ending the closing "
            "reason maps to (BIJ 01-05, or onbekend) and by closing reason. Dropout (uitval) "
            "is BIJ 03 and 04 together over all endings." + TEAM_RULE
        ),
        numerator="Episodes whose closing falls on a day of the period.",
        denominator="For the dropout share: all episodes closed in the period.",
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.CLOSING_REASON, Breakdown.TEAM),
        national_source=(
            "CBS Beleidsinformatie Jeugd: reden beëindiging jeugdhulp 01-05 and onbekend; "
            "NJi/VNG outcome indicator 1 (uitval)"
        ),
    ),
    Indicator(
        id="stock-flow",
        name_nl="Werkvoorraad: beginstand, instroom, uitstroom, eindstand",
        name_en="Stock and flow",
        definition=(
            "Start stock: episodes open at the start of the first day. Inflow and outflow: "
            "opened and closed in the period. End stock: open at the end of the last day; an "
            "episode ending on the last day is not in the end stock (CBS). Active in the "
            "period: start stock plus inflow, which equals end stock plus outflow." + TEAM_RULE
        ),
        numerator="Episodes, counted at the period's bounds and in it.",
        denominator=None,
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.TEAM),
        national_source=(
            "CBS Beleidsinformatie Jeugd: beginstand, instroom, uitstroom, eindstand, actief "
            "in periode (jeugdhulptrajecten)"
        ),
    ),
    Indicator(
        id="duration",
        name_nl="Doorlooptijd van afgesloten episodes",
        name_en="Duration of closed episodes",
        definition=(
            "Episodes closed in the period: days from the opening day to the closing day "
            "(Dutch calendar days), median and mean, and the number in each of the buckets "
            "<= 30, 31-90, 91-180, 181-365 and > 365 days." + TEAM_RULE
        ),
        numerator="Episodes closed in the period, by bucket of duration.",
        denominator=None,
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.CLOSING_REASON, Breakdown.TEAM),
        national_source="CBS Beleidsinformatie Jeugd: gemiddelde duur (dagen) (StatLine 85097NED)",
    ),
    Indicator(
        id="relapse",
        name_nl="Terugval binnen 12 maanden na afsluiting",
        name_en="Relapse within 12 months of closing",
        definition=(
            "Episodes closed in the period that a new episode of the same household follows, "
            "opened on a Dutch day at most 12 months after the closing day and with at least "
            "one whole day between (adjoining episodes are one spell). Provisional until 12 "
            "months after the period's last day have passed." + TEAM_RULE
        ),
        numerator="Episodes closed in the period and followed by a new episode within 12 months.",
        denominator="Episodes closed in the period.",
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.CLOSING_REASON, Breakdown.TEAM),
        national_source=(
            "NJi/VNG outcome indicators jeugdhulp, indicator 3.2 (terugval: opnieuw hulp "
            "binnen een jaar na beëindiging)"
        ),
    ),
    Indicator(
        id="without_maatwerk",
        name_nl="Afgesloten zonder maatwerk",
        name_en="Closed without maatwerk",
        definition=(
            "Episodes closed in the period during which no member of the household had an "
            "indication (iJw or iWmo, not withdrawn) running on any Dutch day from the "
            "episode's opening day to its closing day, over all episodes closed in the period: "
            "the questions the team solved itself, without specialised care." + TEAM_RULE
        ),
        numerator="Episodes closed in the period without an indication overlapping them.",
        denominator="Episodes closed in the period.",
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.CLOSING_REASON, Breakdown.TEAM),
        national_source=None,
    ),
    Indicator(
        id="stacking",
        name_nl="Stapeling van maatwerk (Jeugdwet en Wmo)",
        name_en="Stacking of indications (Youth Act and Social Support Act)",
        definition=(
            "Households by the laws of their indications (not withdrawn) - none, only "
            "Jeugdwet, only Wmo, both - and by the most indications running on one day (0, 1, "
            "2, 3+), at two moments: on the period's last day, for households with an episode "
            "still open at its end (as the end stock), and over the period, for households "
            "with an episode open at some moment of it, counting the indications running on "
            "at least one of its days."
        ),
        numerator="Households with an open episode, by law combination and concurrency.",
        denominator=None,
        breakdowns=(Breakdown.MUNICIPALITY,),
        national_source=(
            "CBS Monitor Sociaal Domein (GMSD): stapeling van voorzieningen, huishoudens met "
            "jeugdhulp en Wmo-ondersteuning"
        ),
    ),
    Indicator(
        id="caseload",
        name_nl="Caseload en continuïteit van de regisseur",
        name_en="Caseload and continuity of the regisseur",
        definition=(
            "At the end of the period's last day: households with an open episode, with and "
            "without an active regisseur; regisseurs by caseload (their open households: 0-9, "
            "10-19, 20-29, 30+; median and mean), each in the municipality where most of their "
            "households live. Episodes whose first regisseur started in the period: Dutch "
            "days from opening to that start (median, mean). Handovers: later regisseur "
            "assignments of an episode starting in the period, per 100 household-months open "
            "in the period (Dutch days open / 30.44)."
            + " By team: open households by the organization of their active regisseur (none "
            "without one), and regisseurs by their organization (the one holding most of their "
            "open households; ties: the lowest id) with their caseload's median and mean; days "
            "to the first regisseur and handovers are not split by team."
            + " By regisseur: each regisseur's open households by name, shown only to the "
            "regisseur themself and to the access team of their organization, never to policy."
        ),
        numerator=(
            "Households without a regisseur; regisseurs per caseload bin; handovers in the period."
        ),
        denominator=(
            "Households with an open episode at the period's end; household-months open in "
            "the period."
        ),
        breakdowns=(Breakdown.MUNICIPALITY, Breakdown.TEAM, Breakdown.REGISSEUR),
        national_source=None,
    ),
    Indicator(
        id="cost",
        name_nl="Kosten van maatwerk",
        name_en="Cost of maatwerk",
        definition=(
            "Indications (not withdrawn) of households with an episode open at some moment of "
            "the period, priced with the municipality's tariffs: for each Dutch day an "
            "indication runs in the period, its volume per day times the price per unit valid "
            "that day (the product code's tariff in the indication's unit, else the category's "
            "default tariff). Volume per day: per day as is, per week / 7, per month x 12 / "
            "365.25, a total spread evenly over the indication's own days. An indication "
            "without volume, or with a day in the period without a tariff, is unpriced "
            "(counted, never as zero); a household with one is in the bin 'unpriced'. Cost in "
            "whole euros per law and product category; households by their cost (0, 1-1000, "
            "1001-5000, 5001-20000, > 20000 euro) and the median and mean over households with "
            "priced maatwerk; episodes closed in the period with maatwerk (an indication in the "
            "period running on a day of the episode) and without, and the cost of the "
            "households closed with maatwerk."
        ),
        numerator="Cost in euros of the priced indications in the period.",
        denominator="Households with priced maatwerk behind each sum.",
        breakdowns=(Breakdown.MUNICIPALITY,),
        national_source=None,
        disclosure=DISCLOSURE
        + " Sums of money are rounded to whole euros, not to fives, and shown only with at "
        "least 10 households behind them (reason small_n); sums that add up to a shown total "
        "get the same secondary suppression.",
    ),
    *OUTCOMES,
)

BY_ID = {indicator.id: indicator for indicator in INDICATORS}

# The indicators an access team reads for its own team: those counted from episodes, each
# episode belonging to the team of its regisseur (see TEAM_RULE).
TEAM_FIGURES = frozenset(
    {
        "inflow",
        "outflow",
        "stock-flow",
        "duration",
        "relapse",
        "without_maatwerk",
        "stacking",
        "caseload",
    }
)
