"""Performance measurement helpers for ``sambert-lambda bench``: FLOP counts, CPU probe, cost model, cold start."""
