"""Training the segmentation model here, on the CPU: data, augmentation, loop, cross-validation."""
