"""TAESD as plain nn.Sequential stacks, so state_dict() names are madebyollin's file names ("3.conv.0.weight").

Encoder: conv(3, 64), Block, then per later level a stride-2 conv without bias and 3 Blocks, then conv(64, 4).
Decoder: Clamp (tanh(x / 3) * 3), conv(4, 64), ReLU, per level 3 Blocks (1 in the last), nearest 2x
up-sampling and a conv without bias between levels, conv(64, 3) at the end.
Block(c) = relu(conv(relu(conv(relu(conv(x))))) + x), all 3x3 with bias.
"""

import torch
from torch import nn


def conv(n_in, n_out, stride=1, bias=True):
    return nn.Conv2d(n_in, n_out, 3, padding=1, stride=stride, bias=bias)


class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Sequential(conv(channels, channels), nn.ReLU(), conv(channels, channels), nn.ReLU(), conv(channels, channels))
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + x)


def encoder(latent_channels=4, channels=64, blocks=(1, 3, 3, 3)):
    layers = []
    for i, n in enumerate(blocks):
        layers.append(conv(3, channels) if i == 0 else conv(channels, channels, stride=2, bias=False))
        layers += [Block(channels) for _ in range(n)]
    layers.append(conv(channels, latent_channels))
    return nn.Sequential(*layers)


def decoder(latent_channels=4, channels=64, blocks=(3, 3, 3, 1)):
    layers = [Clamp(), conv(latent_channels, channels), nn.ReLU()]
    for i, n in enumerate(blocks):
        layers += [Block(channels) for _ in range(n)]
        if i + 1 < len(blocks):
            layers += [nn.Upsample(scale_factor=2), conv(channels, channels, bias=False)]
    layers.append(conv(channels, 3))
    return nn.Sequential(*layers)
