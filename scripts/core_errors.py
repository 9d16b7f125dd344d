"""Where the segmenter's tumour core goes wrong, on cases it never saw: each fold's model on its
held-out BraTS 2018 cases (and the shipped model on the BraTS 2013 cases), labelled with the shipped
model's rules. Per case: the core's false voxels split by what the expert drew there (edema or
outside the tumour) and by distance from the expert's core; the missed voxels split by what the
model drew there; and the core's Dice at each TC threshold, which shows whether one threshold can
serve every case.

    python scripts/core_errors.py --runs RUNS/6000 [--data ../shared/data]
        [--out docs/models/segmenter/core-errors.json]   # and core-errors.png beside it
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scipy import ndimage  # noqa: E402
from tqdm import tqdm  # noqa: E402

from gliomaai.inference.engine import default_engine  # noqa: E402
from gliomaai.labels import NETC, region_masks  # noqa: E402
from gliomaai.metrics import dice  # noqa: E402
from gliomaai.models.card import read_card  # noqa: E402
from gliomaai.models.registry import load_segmenter  # noqa: E402
from gliomaai.segmentation.segmenter import acquired_t1c_zscore, draw_labels, tuned  # noqa: E402
from gliomaai.summary import voxel_volume_ml  # noqa: E402
from gliomaai.training.crossval import CANDIDATE_THRESHOLDS, REGIONS, as_shipped  # noqa: E402
from gliomaai.training.data import EVALUATION_ONLY, load_labelled_case  # noqa: E402

FOLDS = ("fold0", "fold1", "fold2", "fold3")
NEAR_MM = 5.0  # a false or missed voxel within this distance of the other's core is an edge error


def core_errors(case, segmenter, probabilities, t1c, labels) -> dict:
    """The core's volumes and errors (mL) in `labels` (as the segmenter drew them from its probabilities), and
    the core's Dice at each candidate TC threshold."""
    ml = voxel_volume_ml(case.reference)
    spacing = case.reference.GetSpacing()[::-1]  # numpy order
    truth_labels = case.label_array()
    truth = region_masks(truth_labels, REGIONS)
    drawn = region_masks(labels, REGIONS)
    false, missed = drawn["TC"] & ~truth["TC"], truth["TC"] & ~drawn["TC"]
    from_truth = ndimage.distance_transform_edt(~truth["TC"], sampling=spacing)
    from_drawn = ndimage.distance_transform_edt(~drawn["TC"], sampling=spacing)

    def volume(mask):
        return round(float(mask.sum()) * ml, 2)

    by_threshold = []
    for threshold in CANDIDATE_THRESHOLDS:
        rules = tuned(segmenter, (segmenter.thresholds[0], threshold, segmenter.thresholds[2]), segmenter.enhancing_zscore,
                      segmenter.whole_tumour_seed)
        by_threshold.append(round(dice(region_masks(draw_labels(rules, case, probabilities, t1c)[0], REGIONS)["TC"],
                                       truth["TC"]), 4))
    return {"case": case.name, "dice": round(dice(drawn["TC"], truth["TC"]), 4),
            "expert_core_ml": volume(truth["TC"]), "expert_netc_ml": volume(truth_labels == NETC),
            "drawn_core_ml": volume(drawn["TC"]), "drawn_et_ml": volume(drawn["ET"]),
            "false_ml": {"in_expert_edema": volume(false & truth["WT"]), "outside_tumour": volume(false & ~truth["WT"]),
                         f"beyond_{NEAR_MM:g}_mm": volume(false & (from_truth > NEAR_MM))},
            "missed_ml": {"drawn_as_edema": volume(missed & drawn["WT"]), "drawn_as_background": volume(missed & ~drawn["WT"]),
                          f"beyond_{NEAR_MM:g}_mm": volume(missed & (from_drawn > NEAR_MM))},
            "dice_by_tc_threshold": by_threshold}


def summary(rows: list[dict]) -> dict:
    """Per part, the cases whose expert core is mostly (over half) non-enhancing and the others, summed: the
    core drawn against the expert's, where the missed and false voxels lie, and each case's best TC threshold."""
    out = {}
    for part in dict.fromkeys(row["part"] for row in rows):
        for kind, wanted in (("mostly_non_enhancing", True), ("mostly_enhancing", False)):
            group = [r for r in rows if r["part"] == part and (r["expert_netc_ml"] > r["expert_core_ml"] / 2) == wanted]
            if not group:
                continue

            def total(key, inner=None):
                return round(sum(r[key] if inner is None else r[key][inner] for r in group), 1)

            out.setdefault(part, {})[kind] = {
                "cases": len(group), "mean_dice": round(sum(r["dice"] for r in group) / len(group), 4),
                "expert_core_ml": total("expert_core_ml"), "drawn_core_ml": total("drawn_core_ml"),
                "missed_ml": {k: total("missed_ml", k) for k in group[0]["missed_ml"]},
                "false_ml": {k: total("false_ml", k) for k in group[0]["false_ml"]},
                "best_tc_threshold": [CANDIDATE_THRESHOLDS[r["dice_by_tc_threshold"].index(max(r["dice_by_tc_threshold"]))]
                                      for r in group]}
    return out


def plot(rows: list[dict], shipped_threshold: float, out: Path) -> None:
    """Each case's core Dice against the TC threshold, coloured by the share of its expert core that does
    not enhance: the cases that want a lower threshold are those whose core is mostly non-enhancing."""
    fig, axis = plt.subplots(figsize=(7, 4.5))
    colours = plt.get_cmap("viridis")
    for row in rows:
        share = row["expert_netc_ml"] / max(row["expert_core_ml"], 1e-6)
        axis.plot(CANDIDATE_THRESHOLDS, row["dice_by_tc_threshold"], color=colours(share), alpha=0.85,
                  linestyle="--" if row["part"] != "cross_validation" else "-")
    axis.axvline(shipped_threshold, color="grey", linewidth=0.8)
    axis.set_xlabel("TC threshold (shipped: grey line)")
    axis.set_ylabel("tumour core Dice")
    axis.set_title("Tumour core Dice by threshold, per held-out case (dashed: BraTS 2013)")
    bar = fig.colorbar(plt.cm.ScalarMappable(cmap=colours), ax=axis)
    bar.set_label("non-enhancing share of the expert's core")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=Path, required=True, help="the runs as shipped (fold0..fold3, segmenter)")
    parser.add_argument("--out", type=Path, default=Path("docs/models/segmenter/core-errors.json"))
    args = parser.parse_args()
    engine, shipped = default_engine(), load_segmenter("default")
    jobs = [(name, args.runs / fold, "cross_validation") for fold in FOLDS
            for name in read_card(args.runs / fold / "model.json").training["held_out"]]
    jobs += [(name, args.runs / "segmenter", "brats2013_flair_t1c") for name in EVALUATION_ONLY
             if (args.data / name).exists()]
    rows = []
    for name, model, part in tqdm(jobs, desc="core errors"):
        case = load_labelled_case(args.data, name)
        segmenter = as_shipped(model, shipped)
        probabilities, _ = segmenter.probabilities(case, engine)
        t1c = acquired_t1c_zscore(case)
        labels = draw_labels(segmenter, case, probabilities, t1c)[0]
        rows.append({"part": part, **core_errors(case, segmenter, probabilities, t1c, labels)})
    totals = summary(rows)
    args.out.write_text(json.dumps({"rules": {"thresholds": list(shipped.thresholds),
                                              "enhancing_t1c_zscore": shipped.enhancing_zscore},
                                    "summary": totals, "per_case": rows}, indent=1) + "\n")
    plot(rows, shipped.thresholds[1], args.out.with_suffix(".png"))
    for row in rows:
        print(f"{row['case']:22s} Dice {row['dice']:.3f}  core {row['expert_core_ml']:6.1f} mL (NETC "
              f"{row['expert_netc_ml']:5.1f}), drawn {row['drawn_core_ml']:6.1f}; false {row['false_ml']}; "
              f"missed {row['missed_ml']}")
    print(json.dumps(totals, indent=1))


if __name__ == "__main__":
    main()
