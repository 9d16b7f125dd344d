"""What every command shares in its output: strict JSON (non-finite numbers, such as the PSNR of
identical images, become null) and a tqdm bar fed by progress(fraction, message) callbacks."""

import contextlib
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


@contextlib.contextmanager
def percent_bar(desc: str, parts: int = 1):
    """A tqdm bar in percent; yields progress(fraction, message, part=0) for work in `parts` equal parts."""
    from tqdm import tqdm

    with tqdm(total=100 * parts, desc=desc, unit="%", bar_format="{l_bar}{bar}| {n:.0f}/{total} [{elapsed}<{remaining}]") as bar:
        def progress(fraction, message, part=0):
            bar.n = 100 * (part + fraction)
            bar.set_postfix_str(message)
            bar.refresh()

        yield progress
