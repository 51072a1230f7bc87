"""Image stores: where image bytes live. ``base.ImageStore`` is the seam."""
