"""Developer tools run from a checkout (``python -m tools.<name>``); never shipped in the image."""
