"""The data report as a printable page: plain HTML, every value escaped, no script, nothing
loaded from elsewhere (the response's Content-Security-Policy forbids both)."""

from collections.abc import Iterable, Sequence
from html import escape

from gezinsplan.rights.schemas import DataReport

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#111}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
    "th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}"
    "@media print{body{margin:0}}"
)


def _text(value: object) -> str:
    return "" if value is None else escape(str(value))


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_text(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(report: DataReport) -> str:
    members = _table(
        ("Member", "Relation", "Data held"),
        ((m.member_id, m.relation, ", ".join(m.held)) for m in report.members),
    )
    sections = [
        ("The data held, per member", members),
        (
            "Purposes and legal bases",
            _table(
                ("Legal basis", "Purpose"), ((p.legal_basis, p.purpose) for p in report.purposes)
            ),
        ),
        (
            "Organizations that read or received the data",
            _table(
                ("Organization", "Consultations", "First", "Last", "Purposes"),
                (
                    (r.organization_name, r.consultations, r.first, r.last, "; ".join(r.purposes))
                    for r in report.recipients
                ),
            ),
        ),
        (
            "Every consultation",
            _table(
                ("When", "Organization", "Action", "What", "Legal basis", "Purpose", "Outcome"),
                (
                    (
                        c.at,
                        c.organization_name,
                        c.action,
                        c.what,
                        c.legal_basis,
                        c.purpose,
                        c.outcome,
                    )
                    for c in report.consultations
                ),
            ),
        ),
        (
            "Consents",
            _table(
                ("Given to", "Categories", "Life domains", "Purpose", "Valid", "Withdrawn"),
                (
                    (
                        c.grantee_organization_name,
                        ", ".join(c.categories),
                        ", ".join(c.life_domains) or "all",
                        c.purpose,
                        f"{c.valid_from} - {c.valid_until or ''}",
                        f"{c.withdrawn_at or ''} {c.withdrawal_reason or ''}".strip(),
                    )
                    for c in report.consents
                ),
            ),
        ),
        (
            "Sources",
            _table(
                ("Date", "Kind", "Description"),
                ((s.on, s.kind, s.description) for s in report.sources),
            ),
        ),
        (
            "How long it is kept",
            _table(
                ("Class", "Basis", "Until"),
                [
                    (
                        report.retention.retention_class,
                        report.retention.basis,
                        report.retention.ends_on or "from the end of the open episode",
                    )
                ],
            ),
        ),
        (
            "Corrections",
            _table(
                ("When", "Member", "Field", "Was", "Became", "Why"),
                (
                    (c.corrected_at, c.member_id, c.field, c.old_value, c.new_value, c.reason)
                    for c in report.corrections
                ),
            ),
        ),
        (
            "Restrictions of processing",
            _table(
                ("Member", "Placed", "Reason", "Lifted", "Family told", "Why lifted"),
                (
                    (
                        r.member_id or "the whole household",
                        r.placed_at,
                        r.reason,
                        r.lifted_at or "holds",
                        r.family_informed_on,
                        r.lift_reason,
                    )
                    for r in report.restrictions
                ),
            ),
        ),
    ]
    body = "".join(f"<h2>{escape(title)}</h2>{content}" for title, content in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Data report {_text(report.household_id)}</title><style>{STYLE}</style></head>"
        f"<body><h1>What was done with your data</h1>"
        f"<p>Household {_text(report.household_id)}, drawn up {_text(report.generated_at)}.</p>"
        f"{body}</body></html>"
    )
