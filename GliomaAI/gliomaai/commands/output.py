"""Strict JSON for every command: non-finite numbers (PSNR of identical images) become null."""

import json
import math


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(value) -> str:
    return json.dumps(_finite(value), indent=2, allow_nan=False)
