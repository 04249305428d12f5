"""Take a spec elsewhere: an ONNX file, or standalone PyTorch source."""
