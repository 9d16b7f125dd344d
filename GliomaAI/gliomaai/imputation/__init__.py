"""Missing-sequence imputation: any non-empty subset of T1, T1c, T2, FLAIR in, the others synthesised."""
