"""Networks by name and parameters, as a model card records them (MONAI builds them)."""

import functools

from ..errors import GliomaAIError

# The segmenters `gliomaai train --network` offers, each sized for 48^3 patches of 2 mm voxels
# (three or four halvings). `python benchmarks/architectures.py` times them on this machine: on two
# CPU cores a UNet step on two 4x48^3 patches takes 0.11 s, the narrow SegResNet's (init_filters 8,
# segmenter 1.x) 0.35 s; trained for the same time, the UNet scored better (README).
_SEGMENTER_IO = {"spatial_dims": 3, "in_channels": 4, "out_channels": 3}
_SEGRESNET_8 = {"class": "SegResNet", "params": {**_SEGMENTER_IO, "init_filters": 8, "blocks_down": [1, 2, 2, 4],
                                                 "blocks_up": [1, 1, 1], "dropout_prob": 0.1}}
SEGMENTERS = {
    "unet": {"class": "UNet", "params": {**_SEGMENTER_IO, "channels": [16, 32, 64, 128], "strides": [2, 2, 2],
                                         "num_res_units": 2}},
    "segresnet-8": _SEGRESNET_8,
    "segresnet-16": {"class": "SegResNet", "params": {**_SEGRESNET_8["params"], "init_filters": 16}},
    "dynunet": {"class": "DynUNet", "params": {**_SEGMENTER_IO, "kernel_size": [3, 3, 3, 3], "strides": [1, 2, 2, 2],
                                               "upsample_kernel_size": [2, 2, 2], "filters": [16, 32, 64, 128],
                                               "res_block": True}},
}
DEFAULT_SEGMENTER_NAME = "unet"  # the shipped model's (segmenter 2.x)
DEFAULT_SEGMENTER = SEGMENTERS[DEFAULT_SEGMENTER_NAME]


# The default imputer: a 2D U-Net applied to each axial slice at the case's resolution, with the
# neighbouring slices as extra channels (16 in: 4 sequences x 3 slices + 4 presence flags; 4 out).
# Measured on two cores with 8 patches of 128^2: 0.10 s a training step, 1.3 s for a whole case;
# a 3D network at 1 mm would cost many times that, and at 2 mm would blur the images it makes.
DEFAULT_IMPUTER = {
    "class": "UNet",
    "params": {"spatial_dims": 2, "in_channels": 16, "out_channels": 4, "channels": [16, 32, 64, 128, 256],
               "strides": [2, 2, 2, 2], "num_res_units": 1},
    "per_slice": True,
}


def build_network(architecture: dict):
    """The torch module an architecture entry ({"class": ..., "params": {...}}) describes."""
    from monai.networks import nets

    name = architecture.get("class")
    if name not in ("SegResNet", "DynUNet", "UNet", "BasicUNet"):
        raise GliomaAIError(f"Unknown network class '{name}' in the model card.",
                            "Use SegResNet, DynUNet, UNet or BasicUNet, or check the model card.")
    network = getattr(nets, name)(**architecture.get("params", {}))
    return PerSlice(network) if architecture.get("per_slice") else network


@functools.cache
def _per_slice_class():
    import torch

    class PerSlice(torch.nn.Module):
        """A 2D network over each slice of a (batch, channels, z, y, x) volume, so 3D code runs it unchanged."""

        def __init__(self, network):
            super().__init__()
            self.network = network

        def forward(self, volume):
            batch, channels, depth, height, width = volume.shape
            slices = volume.permute(0, 2, 1, 3, 4).reshape(batch * depth, channels, height, width)
            out = self.network(slices)
            return out.reshape(batch, depth, -1, height, width).permute(0, 2, 1, 3, 4)

    return PerSlice


def PerSlice(network):  # noqa: N802 - torch is imported late, so the class is made on first use
    return _per_slice_class()(network)
