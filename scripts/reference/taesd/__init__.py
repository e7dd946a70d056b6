"""TAESD in PyTorch, written from madebyollin's published description (taesd.py, diffusers' AutoencoderTiny):
the reference the engine's TAESD is tested against, and the network scripts/train_taesd.py trains."""
