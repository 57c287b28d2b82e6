"""The torch-free backend: the exported acoustic model and vocoder on ONNX Runtime with numpy."""
