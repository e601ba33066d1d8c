"""The household's file as one copy: JSON as the read endpoints give it, or a FHIR R4B Bundle."""
