"""Package data: KAN-TTS PinYin language tables (MIT, see NOTICE)."""
