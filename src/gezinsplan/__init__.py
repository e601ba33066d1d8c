"""gezinsplan: the shared case file behind "1 gezin, 1 plan, 1 regisseur"."""

__version__ = "0.1.0"
