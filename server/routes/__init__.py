"""HTTP routes of the county server, one module per audience."""
