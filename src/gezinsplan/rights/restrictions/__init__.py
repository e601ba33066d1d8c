"""Restrictions of processing (AVG art. 18), placed and lifted by the privacy officer."""
