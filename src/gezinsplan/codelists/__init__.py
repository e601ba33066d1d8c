"""Codelists: the one vocabulary every coded field of the API is checked against."""
