"""Linli (邻里): a digital service platform for urban subdistricts."""

__version__ = "0.1.0"
