"""The regisseur's worklist and the access team's: what in a caseload asks for attention."""
