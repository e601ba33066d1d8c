"""Published figures of passed periods, kept as published: the same answer every time.

A period's figures are computed once it has passed and is no longer provisional, published
through disclosure control, and stored here as published (rounded and suppressed; no raw
count, no household). Every later request for the same indicator, scope, breakdown and period
reads the stored figures instead of computing them again: a later change to a household, a
late indication, a new tariff or the erasure of a family cannot change what was published,
and a long series of passed periods is one indexed read.
"""
