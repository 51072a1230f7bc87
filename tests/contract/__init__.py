"""Contract suites: one per seam, run against every implementation (today the fakes)."""
