"""The SQL of the database gauges, grouped by what it reads."""
