"""The campaign's console area: the activity log, the registers, coverage, contributors."""
