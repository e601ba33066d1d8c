"""Erasure within retention (issue 19 point 7): what is erased, when, and how the audit log
is pseudonymised. See docs/decisions/0032-erasure-within-retention.md."""
