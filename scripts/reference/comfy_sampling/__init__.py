"""A reference of ComfyUI's sampling, written from its published algorithms (docs/SAMPLERS.md), and what the
reference and training scripts share, one copy each: safetensors_io.py, unet.py (bench/baseline/torch_sd15.py's
networks, the UNets' up path, the tiny fixture UNet), sdxl_unet.py (SDXL's UNet: base and refiner), controlnet.py
(the SD 1.x ControlNet), lora.py (random LoRA fixtures), training_data.py (make-data.ts's files)."""
