"""Tumour segmentation: model input from a case, post-processing, and segment_case()."""
