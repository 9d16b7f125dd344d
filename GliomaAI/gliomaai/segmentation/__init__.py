"""Tumour segmentation: model input from a case, post-processing, and segment_case()."""

# Test-time augmentation by default, the mean of four mirrored passes: segmenter 2.1 in cross-validation scored
# Dice WT / TC / ET 0.860 / 0.786 / 0.703 in one pass, 0.874 / 0.796 / 0.713 in four (the core up in 15 of 16
# cases), and better on BraTS 2013 too. Here, not in segmenter.py, so that panels read it without scipy.
DEFAULT_TTA = True
