"""Steering information: indicators computed from history, published after disclosure control."""
