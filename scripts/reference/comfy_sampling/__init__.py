"""A reference of ComfyUI's sampling, written from its published algorithms (see README.md)."""
