"""Indications: the municipal decisions (iJw / iWmo assignments) mirrored into the case file."""
