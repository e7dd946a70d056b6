#!/usr/bin/env python3
"""Runs torch_sd15.py unchanged (same arguments, same JSON line) and adds one more JSON line with the
wall and CPU seconds of every call (warm-up first). CPU seconds are time.process_time(): user + system
time of the whole process, all threads, so they measure the work done even when other processes share
the cores (wall time then mostly measures the load). Used by bench/speed.ts.

    /usr/bin/python3 bench/baseline/torch_timed.py unet --latent 64 --batch 2 --threads 2 --repeat 3
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_sd15  # noqa: E402

CALLS = []
_make_call = torch_sd15.make_call


def make_call(model, inputs):
    call = _make_call(model, inputs)

    def timed():
        wall0, cpu0 = time.perf_counter(), time.process_time()
        out = call()
        CALLS.append((time.perf_counter() - wall0, time.process_time() - cpu0))
        return out

    return timed


torch_sd15.make_call = make_call  # main() looks make_call up in the module at call time
torch_sd15.main()
print(json.dumps({"calls_wall_s": [round(w, 6) for w, _ in CALLS], "calls_cpu_s": [round(c, 6) for _, c in CALLS]}), flush=True)
