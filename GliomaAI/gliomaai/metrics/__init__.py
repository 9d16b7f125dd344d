"""Evaluation metrics: segmentation (overall and BraTS lesion-wise), image synthesis, classification."""

from .classification import auc, classification_metrics
from .lesionwise import LESIONWISE_MAX_HD95, binary_lesionwise, lesionwise_metrics
from .segmentation import (BRATS_MAX_HD95, METRIC_KEYS, binary_metrics, dice, fnr, fpr, hd95, jaccard,
                           precision, segmentation_metrics, sensitivity, specificity, surface_distances,
                           volume_difference_ml, volume_ml)
from .synthesis import percentile_normalise, synthesis_metrics, synthesis_metrics_by_region

__all__ = [
    "BRATS_MAX_HD95", "LESIONWISE_MAX_HD95", "METRIC_KEYS",
    "dice", "jaccard", "hd95", "sensitivity", "specificity", "precision", "fpr", "fnr",
    "volume_ml", "volume_difference_ml", "surface_distances", "binary_metrics", "segmentation_metrics",
    "binary_lesionwise", "lesionwise_metrics",
    "percentile_normalise", "synthesis_metrics", "synthesis_metrics_by_region",
    "auc", "classification_metrics",
]
