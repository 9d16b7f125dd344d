"""MONAI model-zoo bundles of the `brats_mri_segmentation` kind, run as GliomaAI segmenters.

A bundle is a folder with `configs/metadata.json`, `configs/inference.json` (or .yaml) and
`models/model.pt` (a state dict). It is run as its own config says: four channels, z-scored
channel by channel over the non-zero voxels, a sliding window, three sigmoid outputs. By
default these are TC, WT and ET (BraTS 2018), and we hand them back in our order (WT, TC, ET)
on the case's grid.

The voxels go to the network in the layout MONAI's LoadImage gives for a BraTS NIfTI file:
axes (x, y, z), oriented LPS (an identity direction in ITK) and at 1 mm. Cases on other axes
are reoriented first (nothing is lost), other spacings are resampled, and the probabilities
go back onto the case's grid. `roi_size` is in that (x, y, z) order, as in the bundle's config.

Safety: the config's `$` expressions are never evaluated (they are Python code); only a
plain `network_def` naming a class of `monai.networks.nets` is built, and the weights load
with `torch.load(weights_only=True)`.
"""

import json
import logging
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ..errors import GliomaAIError
from ..sequences import SEQUENCES, sequence_from_name
from .card import sha256_of

# What the brats_mri_segmentation bundle uses where its files do not say otherwise.
DEFAULT_NETWORK = {"_target_": "SegResNet", "blocks_down": [1, 2, 2, 4], "blocks_up": [1, 1, 1], "init_filters": 16,
                   "in_channels": 4, "out_channels": 3, "dropout_prob": 0.2}
DEFAULT_INPUTS = ("t1c", "t1n", "t2w", "t2f")  # T1c, T1, T2, FLAIR
DEFAULT_OUTPUTS = ("TC", "WT", "ET")
DEFAULT_ROI = (240, 240, 160)
DEFAULT_OVERLAP = 0.5
OUR_REGIONS = ("WT", "TC", "ET")
DIVISOR = 8  # SegResNet halves the grid three times
_REGION_WORDS = (("WT", ("whole", "wt")), ("ET", ("enhanc", "et")), ("TC", ("core", "tc")))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise GliomaAIError(f"{path}: not readable as JSON ({error}).",
                            "The bundle is damaged or incomplete; fetch it again.") from None


def _read_config(configs: Path) -> dict:
    """The raw inference config (JSON or YAML), or {} where the bundle has none."""
    for name in ("inference.json", "inference.yaml", "inference.yml"):
        if (configs / name).exists():
            if name.endswith(".json"):
                return _read_json(configs / name)
            from monai.bundle import ConfigParser

            try:
                return dict(ConfigParser.load_config_file(str(configs / name)))
            except Exception as error:  # yaml raises its own kinds
                raise GliomaAIError(f"{configs / name}: not readable ({error}).", "Fetch the bundle again.") from None
    return {}


def _channel_def(metadata: dict, direction: str, key: str) -> list | None:
    """Names of the channels the metadata declares, in channel order, or None."""
    try:
        channels = metadata["network_data_format"][direction][key]["channel_def"]
        return [str(channels[k]) for k in sorted(channels, key=int)]
    except (KeyError, TypeError, ValueError):
        return None


def _region_of(name: str) -> str | None:
    words = name.lower().replace("-", " ").replace("_", " ").split()
    for region, keys in _REGION_WORDS:
        if any(w.startswith(k) if len(k) > 2 else w == k for w in words for k in keys):
            return region
    return None


def _literal(value, default):
    """A config value, unless it is a reference or an expression (those we do not evaluate)."""
    return default if value is None or (isinstance(value, str) and value[:1] in "$@%") else value


def _check_network_def(definition, source) -> dict:
    """A network definition safe to build: a monai.networks.nets class with literal arguments."""
    import monai.networks.nets as nets

    def literal(value):
        if isinstance(value, dict):
            return all(not str(k).startswith("_") and literal(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return all(literal(v) for v in value)
        return not (isinstance(value, str) and value[:1] in "$@%")

    if not isinstance(definition, dict):
        raise GliomaAIError(f"{source}: 'network_def' is not a definition.", "Fetch the bundle again.")
    target = str(definition.get("_target_", ""))
    name = target.rsplit(".", 1)[-1]
    arguments = {k: v for k, v in definition.items() if k != "_target_"}
    if target not in (name, f"monai.networks.nets.{name}") or not isinstance(getattr(nets, name, None), type) \
            or not literal(arguments):
        raise GliomaAIError(f"{source}: 'network_def' ({target or 'no _target_'}) is not a plain MONAI network with "
                            "literal arguments; GliomaAI does not run code from bundle configs.",
                            "Use a bundle whose network_def names a monai.networks.nets class, as the model zoo's do.")
    return {"_target_": f"monai.networks.nets.{name}", **arguments}


def _pad_to_multiple(array: np.ndarray, divisor: int):
    """Zero-pad the spatial axes of (c, ...) to multiples of `divisor` (as MONAI's DivisiblePad); and the crop back."""
    pads = [(0, 0)] + [((-n % divisor) // 2, (-n % divisor) - (-n % divisor) // 2) for n in array.shape[1:]]
    crop = (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads[1:], array.shape[1:]))
    return (np.pad(array, pads) if any(sum(p) for p in pads) else array), crop


class BundleSegmenter:
    """A MONAI bundle folder as a segmenter (the protocol of segmentation.segmenter.CardSegmenter).

    sha256: the expected sha256 of models/model.pt (checked before loading when given).
    roi_size (x, y, z), overlap, spacing_mm: override the bundle's window and the 1 mm it was
    trained at (spacing_mm=None runs at the case's own spacing).
    """

    def __init__(self, bundle_dir, sha256: str | None = None, roi_size=None, overlap: float | None = None,
                 spacing_mm: float | None = 1.0):
        self.path = Path(bundle_dir)
        configs = self.path / "configs"
        self.metadata = _read_json(configs / "metadata.json")
        self.config = _read_config(configs)
        self.name = str(self.metadata.get("name") or self.path.name)
        self.version = str(self.metadata.get("version", "unknown"))
        self.thresholds = (0.5, 0.5, 0.5)  # the bundle's own post-processing (sigmoid > 0.5)
        self.enhancing_zscore = None  # its ET channel, trained at 1 mm
        self.whole_tumour_seed = None
        self.weights = self.path / "models" / "model.pt"
        self.sha256 = sha256.lower() if sha256 else None
        self.inputs = self._inputs()
        self.outputs = self._outputs()
        self.required = tuple(s for s in SEQUENCES if s in self.inputs)
        inferer = self.config.get("inferer") if isinstance(self.config.get("inferer"), dict) else {}
        self.roi_size = tuple(int(n) for n in (roi_size or _literal(inferer.get("roi_size"), DEFAULT_ROI)))
        self.overlap = float(overlap if overlap is not None else _literal(inferer.get("overlap"), DEFAULT_OVERLAP))
        self.batch_size = int(_literal(inferer.get("sw_batch_size"), 1))
        self.spacing_mm = spacing_mm

    def _inputs(self) -> tuple:
        names = _channel_def(self.metadata, "inputs", "image")
        if names is None:
            return DEFAULT_INPUTS
        sequences = tuple(sequence_from_name(n) for n in names)
        if None in sequences or len(set(sequences)) != len(sequences):
            raise GliomaAIError(f"Bundle '{self.path.name}': input channels {names} are not distinct MRI sequences "
                                "GliomaAI knows (T1, T1c, T2, FLAIR).", "Use a brain tumour bundle such as "
                                "brats_mri_segmentation.")
        return sequences

    def _outputs(self) -> tuple:
        names = _channel_def(self.metadata, "outputs", "pred")
        if names is None:
            return DEFAULT_OUTPUTS
        regions = tuple(_region_of(n) for n in names)
        if sorted(r for r in regions if r) != sorted(OUR_REGIONS) or len(regions) != 3:
            raise GliomaAIError(f"Bundle '{self.path.name}': outputs {names} are not the three tumour regions "
                                "(whole tumour, tumour core, enhancing tumour).",
                                "GliomaAI runs bundles that predict the BraTS regions, such as brats_mri_segmentation.")
        return regions

    def network(self, engine):
        """The bundle's network with its weights, checked and cached by the engine."""
        if not self.weights.exists():
            raise GliomaAIError(f"{self.weights}: the bundle's weights are missing.",
                                "Fetch the whole bundle (fetch_bundle), including models/model.pt.")
        actual = sha256_of(self.weights)
        if self.sha256 and actual != self.sha256:
            raise GliomaAIError(f"{self.weights}: sha256 {actual[:12]}... differs from the expected "
                                f"{self.sha256[:12]}...", "The file is damaged or another version; fetch the "
                                "bundle again, or give the sha256 its publisher states for this version.")
        return engine.model(f"bundle:{self.path.resolve()}:{actual}", self._build)

    def _build(self):
        import torch
        from monai.bundle import ConfigParser

        source = self.path / "configs"
        definition = _check_network_def(self.config.get("network_def", DEFAULT_NETWORK), source)
        if definition.get("in_channels", len(self.inputs)) != len(self.inputs):
            raise GliomaAIError(f"{source}: the network takes {definition['in_channels']} channels but the metadata "
                                f"names {len(self.inputs)}.", "The bundle's configs disagree; fetch it again.")
        try:
            network = ConfigParser({"network_def": definition}).get_parsed_content("network_def")
        except Exception as error:
            raise GliomaAIError(f"{source}: cannot build {definition['_target_']} ({str(error)[:200]}).",
                                "The bundle needs another MONAI version; see its metadata.json.") from None
        try:
            state = torch.load(self.weights, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises several kinds on bad files
            raise GliomaAIError(f"{self.weights}: cannot be loaded as weights ({str(error)[:200]}).",
                                "The file is damaged or not a state dict; fetch the bundle again.") from None
        if isinstance(state, dict) and isinstance(state.get("model"), dict):  # a checkpoint {"model": ...}
            state = state["model"]
        try:
            network.load_state_dict(state)
        except (RuntimeError, TypeError, AttributeError) as error:
            raise GliomaAIError(f"{self.weights}: the weights do not fit the network in the bundle's config "
                                f"({str(error)[:200]}).", "The weights and configs belong to different bundles; "
                                "fetch the bundle again.") from None
        return network

    def _grid(self, reference: sitk.Image) -> sitk.Image | None:
        """The grid the network sees (LPS axes, spacing_mm), or None where that is the case's own grid."""
        direction = np.array(reference.GetDirection()).reshape(3, 3)
        spacing = np.array(reference.GetSpacing())
        at_spacing = self.spacing_mm is None or np.allclose(spacing, self.spacing_mm, rtol=0.02)
        if np.allclose(direction, np.eye(3), atol=1e-4) and at_spacing:
            return None
        empty = sitk.Image(reference.GetSize(), sitk.sitkUInt8)
        empty.CopyInformation(reference)
        grid = sitk.DICOMOrient(empty, "LPS")
        if not at_spacing:
            from ..geometry import isotropic_grid

            grid = isotropic_grid(grid, self.spacing_mm)
        return grid

    def _network_input(self, case, grid) -> np.ndarray:
        """(c, x, y, z) float32: the bundle's channels on its grid, z-scored over non-zero voxels per channel."""
        from monai.transforms import NormalizeIntensity

        channels = []
        for sequence in self.inputs:
            image = sitk.Cast(case.images[sequence], sitk.sitkFloat32)
            if grid is not None:
                image = sitk.Resample(image, grid, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32)
            channels.append(sitk.GetArrayFromImage(image))
        array = np.stack(channels)
        array = np.asarray(NormalizeIntensity(nonzero=True, channel_wise=True)(array), dtype=np.float32)
        return np.ascontiguousarray(array.transpose(0, 3, 2, 1))

    def probabilities(self, case, engine, tta=False, progress=None, cancel=None):
        """(WT, TC, ET) probabilities on the case's grid, and with TTA the passes' disagreement there (else None)."""
        from ..segmentation.segmenter import mean_and_disagreement, require_sequences, sigmoid_passes

        require_sequences(self, case)
        if len(self.roi_size) != 3 or any(n <= 0 or n % DIVISOR for n in self.roi_size):
            raise GliomaAIError(f"Window {self.roi_size} for bundle '{self.name}': each side must be a positive "
                                f"multiple of {DIVISOR}.", "Give a roi_size such as (240, 240, 160) or (128, 128, 128).")
        case.check_grid()
        grid = self._grid(case.reference)
        if grid is not None:
            logging.info("GliomaAI: case '%s' is reoriented or resampled for bundle %s, and the result back.",
                         case.name, self.name)
        array, crop = _pad_to_multiple(self._network_input(case, grid), DIVISOR)
        network = self.network(engine)
        order = [self.outputs.index(r) for r in OUR_REGIONS]
        passes = sigmoid_passes(engine, network, array, self.roi_size, tta, progress, cancel,
                                f"segmenting with {self.name}", self.overlap, self.batch_size)
        passes = np.ascontiguousarray(passes[(slice(None), *crop)][:, order].transpose(0, 1, 4, 3, 2))

        return mean_and_disagreement(passes, lambda channels: self._to_case_grid(channels, grid, case.reference), tta)

    @staticmethod
    def _to_case_grid(probs: np.ndarray, grid, reference: sitk.Image) -> np.ndarray:
        if grid is None:
            return probs.astype(np.float32, copy=False)
        out = []
        for channel in probs:
            image = sitk.GetImageFromArray(channel.astype(np.float32, copy=False))
            image.CopyInformation(grid)
            out.append(sitk.GetArrayFromImage(sitk.Resample(image, reference, sitk.Transform(), sitk.sitkLinear, 0.0,
                                                            sitk.sitkFloat32)))
        return np.stack(out)


def _bundle_root(folder: Path) -> Path:
    """The folder holding configs/metadata.json: `folder` itself or one below it (zips hold a top folder)."""
    for candidate in (folder, *sorted(p for p in folder.iterdir() if p.is_dir())):
        if (candidate / "configs" / "metadata.json").exists():
            return candidate
    raise GliomaAIError(f"{folder}: no MONAI bundle in it (no configs/metadata.json).",
                        "Give a bundle folder or zip as published in the MONAI model zoo.")


def _check_sha256(path: Path, expected: str | None, what: str) -> None:
    if expected and (actual := sha256_of(path)) != expected.lower():
        raise GliomaAIError(f"{what}: sha256 {actual[:12]}... differs from the expected {expected.lower()[:12]}...",
                            "The file is damaged, incomplete or another version; fetch it again, or check the sha256.")


def _download(url: str, folder: Path, sha256: str, timeout: float = 60) -> Path:
    """Stream `url` into a file in `folder`, checking its sha256; the file's path."""
    request = urllib.request.Request(url, headers={"User-Agent": "gliomaai"})
    handle, name = tempfile.mkstemp(suffix=".zip", prefix=".download-", dir=folder)
    path = Path(name)
    try:
        with open(handle, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        _check_sha256(path, sha256, url)
        return path
    except urllib.error.HTTPError as error:
        path.unlink(missing_ok=True)
        raise GliomaAIError(f"Cannot download {url}: the server answered {error.code} {error.reason}.",
                            "Check the address (bundle name and version).") from None
    except (urllib.error.URLError, OSError) as error:
        path.unlink(missing_ok=True)
        reason = getattr(error, "reason", error)
        raise GliomaAIError(f"Cannot download {url} ({reason}).",
                            "Check the network connection and proxy; or download the zip another way and give "
                            "its path instead of the address.") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def fetch_bundle(url_or_path, dest, sha256: str | None = None) -> Path:
    """Put a MONAI bundle in the new folder `dest`, from a folder, a zip, or a download address; `dest`.

    sha256 is checked against the zip (downloaded or local) or, for a folder, models/model.pt.
    Downloads (http, https, file addresses) must give it. Nothing is left in `dest` on failure.
    """
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise GliomaAIError(f"{dest}: already exists and is not an empty folder.",
                            "Choose a new folder for the bundle, or remove the old one.")
    source = str(url_or_path)
    scheme = urllib.parse.urlparse(source).scheme.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundle-", dir=dest.parent))
    try:
        if scheme in ("http", "https", "file", "ftp"):
            if not sha256:
                raise GliomaAIError(f"No sha256 given for {source}.",
                                    "Downloaded weights are only used when their checksum is known: give the "
                                    "archive's sha256.")
            archive = _download(source, staging, sha256)
        else:
            path = Path(source).expanduser()
            if path.is_dir():
                root = _bundle_root(path)
                _check_sha256(root / "models" / "model.pt", sha256, str(root / "models" / "model.pt"))
                shutil.copytree(root, staging / "bundle")
                archive = None
            elif path.is_file():
                _check_sha256(path, sha256, str(path))
                archive = path
            else:
                raise GliomaAIError(f"{source}: no such file or folder.",
                                    "Give a bundle folder, a bundle zip, or an http(s) address of a zip.")
        if archive is not None:
            try:
                with zipfile.ZipFile(archive) as opened:
                    opened.extractall(staging / "bundle")  # zipfile drops absolute and '..' parts of names
            except (zipfile.BadZipFile, OSError) as error:
                raise GliomaAIError(f"{source}: not a readable zip archive ({error}).",
                                    "Give the bundle's .zip as published, or an unpacked bundle folder.") from None
        root = _bundle_root(staging / "bundle")
        if not (root / "models" / "model.pt").exists():
            raise GliomaAIError(f"{source}: the bundle has no models/model.pt.",
                                "Fetch the full bundle; some hosts keep the weights apart (large_files.yml).")
        BundleSegmenter(root)  # its configs must be readable
        if dest.exists():
            dest.rmdir()
        shutil.move(str(root), str(dest))
        return dest
    finally:
        shutil.rmtree(staging, ignore_errors=True)
