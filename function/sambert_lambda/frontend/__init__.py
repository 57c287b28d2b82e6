"""Text frontend: text -> KAN-TTS symbol lines. Pure Python, no torch."""
