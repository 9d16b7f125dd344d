"""Qt-free logic of the GliomaAISegment module: tumour segmentations in and out of the scene.

- segmentation_run: a GliomaAI model on the chosen volumes -> a new segmentation node with
  provenance, the model's own labels (hidden, for comparison), uncertainty and volumes;
- correction_nodes: an edited model segmentation saved as a correction record (gliomaai.corrections);
- display: the uncertainty as an overlay;
- label_files: label map files in any convention <-> segmentations;
- checks: what pytest and the Slicer self-test both run.

Functions take the scene (or nodes of it) as an argument; see GliomaAILib for the pieces they
are built from.
"""
