"""The training data the make-data.ts scripts write (scripts/train, scripts/taesd, scripts/upscale): <base>.json, a
{name: shape} map in file order (plus other fields, e.g. scripts/train's "style"), and <base>.f32, the tensors'
float32 values, little-endian, one after the other."""

import json

import numpy as np
import torch


def read(base):
    """-> ({name: tensor}, {field: value} for the json's entries that are not shapes)."""
    with open(base + ".json") as f:
        entries = json.load(f)
    values = np.fromfile(base + ".f32", dtype="<f4")
    tensors, fields, at = {}, {}, 0
    for name, shape in entries.items():
        if not isinstance(shape, list):
            fields[name] = shape
            continue
        n = int(np.prod(shape))
        tensors[name] = torch.from_numpy(values[at:at + n].reshape(shape).copy())
        at += n
    if at != values.size:
        raise ValueError(f"{base}.f32 holds {values.size} values, {base}.json's shapes {at}: rerun make-data.ts for both")
    return tensors, fields
