"""Tariffs: the price per unit of maatwerk, synced by the municipal system."""
