"""Saliency: which voxels of which sequence drove a model's output, and how far to trust the map.

Methods (methods.py): Grad-CAM and Grad-CAM++ (activation), saliency, guided backpropagation,
integrated gradients and SmoothGrad (gradient), occlusion (perturbation, model as a black box).
Checks (trust.py): the model randomisation test and deletion/insertion curves. Per-sequence
importance (sequence_importance.py). explainer.py ties them to a case and a GliomaAI segmenter.
"""
