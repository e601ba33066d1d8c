"""Outcome figures: goal attainment, ZRM change, own strength, parties per household."""
