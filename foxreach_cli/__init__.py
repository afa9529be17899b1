"""foxreach: bulk-import sales leads from CSV and XLSX files into a FoxReach workspace."""

__version__ = "0.1.0"
