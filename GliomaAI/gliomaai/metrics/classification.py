"""Binary classification metrics (e.g. IDH mutation or MGMT methylation status from MRI).

A ratio whose denominator is zero is NaN: with no positive case there is no sensitivity to
report, and a made-up 0 or 1 would bias an average over folds. AUC is likewise NaN when only
one class is present, since no positive-negative pair exists to rank.
"""

import numpy as np

from ..errors import GliomaAIError


def _inputs(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).ravel()
    y_score = np.asarray(y_score, dtype=np.float64).ravel()
    if y_true.size == 0 or y_true.size != y_score.size:
        raise GliomaAIError(f"Got {y_true.size} labels and {y_score.size} scores.",
                            "Give one score per case, and at least one case.")
    if not np.all(np.isin(y_true, (0, 1))):
        raise GliomaAIError("Labels must be binary (0/1 or False/True).",
                            "Encode the positive class as 1 and the negative class as 0.")
    if not np.all(np.isfinite(y_score)):
        raise GliomaAIError("Scores hold NaN or infinite values.", "Check the model outputs.")
    return y_true.astype(bool), y_score


def _ratio(num: int, den: int) -> float:
    return float(num / den) if den else float("nan")


def auc(y_true, y_score) -> float:
    """ROC AUC as the Mann-Whitney statistic: P(score of a positive > score of a negative),
    ties counting half (average ranks). NaN when only one class is present."""
    y_true, y_score = _inputs(y_true, y_score)
    n_pos = int(y_true.sum())
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata  # here: scipy.stats takes half a second to import, and only AUC needs it

    ranks = rankdata(y_score)  # average ranks: a tie between classes adds 1/2 a pair
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def classification_metrics(y_true, y_score, threshold=0.5) -> dict[str, float]:
    """accuracy, sensitivity, specificity, precision, f1 (score >= threshold is positive) and auc."""
    y_true, y_score = _inputs(y_true, y_score)
    y_pred = y_score >= threshold
    tp = int(np.sum(y_pred & y_true))
    fp = int(np.sum(y_pred & ~y_true))
    fn = int(np.sum(~y_pred & y_true))
    tn = y_true.size - tp - fp - fn
    return {
        "accuracy": float((tp + tn) / y_true.size),
        "sensitivity": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "precision": _ratio(tp, tp + fp),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "auc": auc(y_true, y_score),
    }
