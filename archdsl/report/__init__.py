"""Reports of a checked model: rows and totals, as a rich table or as JSON."""
