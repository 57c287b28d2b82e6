"""Speech engine: KAN-TTS symbol lines -> waveform. torch only, never boto3."""
