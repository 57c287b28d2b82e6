"""Developer tools (benchmarks, scoring, load checks); never shipped in the image. Run as ``python -m tools.<x>``."""
