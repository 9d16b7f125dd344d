"""`gliomaai fuse SEG... --method {vote,staple} --out OUT`: one consensus from several segmentations."""

from pathlib import Path

import numpy as np
import SimpleITK as sitk
from tqdm import tqdm

from .. import labels as conventions
from ..fusion import METHODS, fuse
from ..geometry import Grid
from ..errors import GliomaAIError
from ..imageio import image_from_array, read_image, write_image


def add_parser(subparsers):
    parser = subparsers.add_parser("fuse", help="fuse several segmentations of one case (majority vote or STAPLE)")
    parser.add_argument("segmentations", nargs="+", help="label maps of one case, on one grid")
    parser.add_argument("--method", choices=METHODS, default="vote")
    parser.add_argument("--out", required=True, help="fused label map to write")
    parser.add_argument("--convention", choices=list(conventions.CONVENTIONS),
                        help="convention of the inputs (default: guessed from their values)")
    parser.add_argument("--out-convention", choices=list(conventions.CONVENTIONS),
                        help="convention of the output (default: that of the inputs)")
    parser.set_defaults(run=run)


def fuse_files(paths, method="vote", convention=None, out_convention=None, progress=True):
    images, arrays = [], []
    for path in tqdm(paths, desc="reading", unit="file", disable=not progress):
        image = read_image(path, check_values=False)
        if images and not Grid.of(image).matches(Grid.of(images[0])):
            raise GliomaAIError(f"{path} is not on the grid of {paths[0]}.", "Give segmentations of one case.")
        images.append(image)
        arrays.append(sitk.GetArrayFromImage(image))
    if convention is None:
        convention = conventions.guess_convention(np.unique(np.concatenate([conventions.label_values(a) for a in arrays])))
    canonical = [conventions.to_canonical(a, convention, str(p)) for a, p in zip(arrays, paths)]
    fused = fuse(canonical, method)
    return image_from_array(conventions.from_canonical(fused, out_convention or convention), images[0])


def run(args) -> int:
    if Path(args.out).exists():
        raise GliomaAIError(f"{args.out} exists already.", "Choose another --out; GliomaAI never overwrites a segmentation.")
    fused = fuse_files(args.segmentations, args.method, args.convention, args.out_convention)
    write_image(fused, args.out, description=f"GliomaAI fusion ({args.method}) of {len(args.segmentations)} segmentations")
    print(f"Wrote {args.out}")
    return 0
