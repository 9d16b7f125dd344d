"""`gliomaai finetune CORRECTIONS_DIR`: a new version of a model, trained further on saved corrections."""

from tqdm import tqdm

from ..models.card import read_card
from ..training.finetune import FinetuneConfig, advice, finetune


def add_parser(subparsers):
    parser = subparsers.add_parser("finetune", help="fine-tune a segmentation model on saved corrections "
                                                    "(writes a new model version; the original is untouched)")
    parser.add_argument("corrections", metavar="CORRECTIONS_DIR",
                        help="folder of correction records (as GliomaAISegment's 'Save correction' writes them)")
    parser.add_argument("--model", default="default", help="model to start from: built-in name, card or folder")
    parser.add_argument("--out", help="folder for the new weights and card (default: ./<name>-<new version>)")
    parser.add_argument("--steps", type=int, default=200, help="training steps (default 200)")
    parser.add_argument("--batch", type=int, default=2, help="patches per step (default 2)")
    parser.add_argument("--patch", type=int, default=64, help="cubic patch edge in coarse voxels (default 64)")
    parser.add_argument("--learning-rate", type=float, default=2e-4, help="AdamW learning rate (default 2e-4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the sampling (default 0)")
    parser.add_argument("--hold-out", type=int, default=0, metavar="N",
                        help="set the N newest corrections aside and score the base and the new version on them")
    parser.add_argument("--replay", metavar="DATA",
                        help="data folder (with manifest.json) holding the cases the model was trained on: learnt "
                             "alongside the corrections, so the model keeps what it knew")
    parser.add_argument("--no-fit", action="store_true", help="skip the Dice on the corrections before and after")
    parser.set_defaults(run=run)


def run(args) -> int:
    config = FinetuneConfig(corrections=args.corrections, model=args.model, out=args.out, steps=args.steps,
                            batch=args.batch, patch=(args.patch,) * 3, learning_rate=args.learning_rate,
                            seed=args.seed, fit=not args.no_fit, hold_out=args.hold_out, replay=args.replay)
    with tqdm(total=args.steps, desc="finetune", unit="step") as bar:
        def progress(fraction, message):
            bar.n = round(fraction * args.steps)
            bar.set_postfix_str(message.rsplit(", ", 1)[-1])
            bar.refresh()

        path = finetune(config, progress=progress)
    print(f"Wrote {path} and its weights")
    for line in advice(read_card(path)):
        print(line)
    return 0
