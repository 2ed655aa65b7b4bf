"""Sample episodes rendered from shipped photos, their ground truth, and scoring a processed episode against it."""
