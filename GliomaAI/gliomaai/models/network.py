"""Networks by name and parameters, as a model card records them (MONAI builds them)."""

from ..errors import GliomaAIError

# The default segmenter: a narrow SegResNet (init_filters 8) on 2 mm voxels. At that width a
# training step on two 4x64^3 patches takes about a second on two CPU cores, a full case a few.
DEFAULT_SEGMENTER = {
    "class": "SegResNet",
    "params": {"spatial_dims": 3, "in_channels": 4, "out_channels": 3, "init_filters": 8,
               "blocks_down": [1, 2, 2, 4], "blocks_up": [1, 1, 1], "dropout_prob": 0.1},
}


def build_network(architecture: dict):
    """The torch module an architecture entry ({"class": ..., "params": {...}}) describes."""
    from monai.networks import nets

    name = architecture.get("class")
    if name not in ("SegResNet", "DynUNet", "UNet", "BasicUNet"):
        raise GliomaAIError(f"Unknown network class '{name}' in the model card.",
                            "Use SegResNet, DynUNet, UNet or BasicUNet, or check the model card.")
    return getattr(nets, name)(**architecture.get("params", {}))
