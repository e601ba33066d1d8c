"""Rectification (AVG art. 16, 19): facts corrected with their history, and the family's own
statement attached to a professional assessment that is not overwritten."""
