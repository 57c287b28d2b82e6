"""The torch backend: Sambert and HiFiGAN in torch, checkpoint loading, ONNX export and bf16/int8 helpers."""
