"""An SD 1.x ControlNet in PyTorch (diffusers' ControlNetModel / lllyasviel's cldm.ControlNet, diffusers' parameter
names) on the blocks of bench/baseline/torch_sd15.py, and the UNet that takes its residuals. One copy for the
fixture generator (scripts/reference/make_controlnet.py) and the trainer (scripts/train/train_controlnet.py):

    temb = time_embedding(sinusoid(t))
    h = conv_in(x) + controlnet_cond_embedding(hint)     (conv_in, SiLU, per level (conv, SiLU, stride-2 conv,
                                                          SiLU), conv_out)
    down blocks and mid block as the UNet's; every down-path output (conv_in's included) through its own 1x1
    conv controlnet_down_blocks.k, the mid block's output through controlnet_mid_block.

The UNet with residuals (diffusers' down_block_additional_residuals / mid_block_additional_residual; ComfyUI's
control "output" / "middle"): every skip connection plus its residual, the mid block's output plus the mid one.
"""

import copy

import torch.nn as nn
import torch.nn.functional as F

from .unet import up_path


class CondEmbedding(nn.Module):
    """diffusers' ControlNetConditioningEmbedding: conv_in, blocks (pairs: same width, then stride 2), conv_out; SiLU
    after every convolution but conv_out."""

    def __init__(self, conditioning_channels, channels, out_channels):
        super().__init__()
        self.conv_in = nn.Conv2d(conditioning_channels, channels[0], 3, padding=1)
        blocks = []
        for i in range(len(channels) - 1):
            blocks.append(nn.Conv2d(channels[i], channels[i], 3, padding=1))
            blocks.append(nn.Conv2d(channels[i], channels[i + 1], 3, padding=1, stride=2))
        self.blocks = nn.ModuleList(blocks)
        self.conv_out = nn.Conv2d(channels[-1], out_channels, 3, padding=1)

    def forward(self, hint):
        h = F.silu(self.conv_in(hint))
        for conv in self.blocks:
            h = F.silu(conv(h))
        return self.conv_out(h)


def _zero(conv):
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ControlNet(nn.Module):
    """A copy of `unet`'s encoder (a torch_sd15 UNetSD15: conv_in, time_embedding, down_blocks, mid_block; its up path
    is not used), a hint encoder of widths `hint_channels` for a 3-channel hint, and a 1x1 convolution per encoder
    output. `zero`: the hint encoder's conv_out and the 1x1 convolutions start at zero, as ControlNet's training
    does (then the controlled UNet starts out as `unet` exactly)."""

    def __init__(self, sd, unet, hint_channels, zero=False):
        super().__init__()
        ch = unet.conv_in.out_channels
        self.sd = sd
        self.sinusoid_dim = unet.sinusoid_dim
        self.conv_in = copy.deepcopy(unet.conv_in)
        self.time_embedding = copy.deepcopy(unet.time_embedding)
        self.controlnet_cond_embedding = CondEmbedding(3, hint_channels, ch)
        self.down_blocks = copy.deepcopy(unet.down_blocks)
        self.mid_block = copy.deepcopy(unet.mid_block)
        widths = [ch]
        for block in unet.down_blocks:
            widths += [resnet.conv2.out_channels for resnet in block.resnets]
            widths += [block.downsamplers[0].conv.out_channels] if block.downsamplers is not None else []
        self.controlnet_down_blocks = nn.ModuleList([nn.Conv2d(c, c, 1) for c in widths])
        mid = unet.mid_block.resnets[-1].conv2.out_channels
        self.controlnet_mid_block = nn.Conv2d(mid, mid, 1)
        if zero:
            for conv in [self.controlnet_cond_embedding.conv_out, *self.controlnet_down_blocks, self.controlnet_mid_block]:
                _zero(conv)

    def forward(self, x, t, context, hint):
        """-> (a residual per encoder output, the mid residual); a batch-1 hint broadcasts over the batch."""
        temb = self.time_embedding(self.sd.timestep_sinusoid(t, self.sinusoid_dim))
        return residuals(self, self.conv_in(x) + self.controlnet_cond_embedding(hint), temb, context)


def residuals(net, h, temb, context):
    """A ControlNet's encoder from h = conv_in(x) + hint embedding: the down blocks and the mid block, every output
    (h's included) through its 1x1 convolution -> (down residuals, mid residual). Also the SDXL ControlNet's
    (make_controlnet_sdxl.py), whose temb adds SDXL's added conditioning."""
    kept = [h]
    for block in net.down_blocks:
        h, skips = block(h, temb, context)
        kept += skips
    h = net.mid_block(h, temb, context)
    return [conv(k) for conv, k in zip(net.controlnet_down_blocks, kept)], net.controlnet_mid_block(h)


def unet_with_residuals(sd, unet, sample, t, context, down, mid):
    """UNetSD15.forward with every skip plus its `down` residual and the mid block's output plus `mid`."""
    temb = unet.time_embedding(sd.timestep_sinusoid(t, unet.sinusoid_dim))
    x = unet.conv_in(sample)
    skips = [x]
    for block in unet.down_blocks:
        x, block_skips = block(x, temb, context)
        skips += block_skips
    x = unet.mid_block(x, temb, context) + mid
    skips = [s + r for s, r in zip(skips, down)]
    return up_path(unet, x, skips, temb, context)
