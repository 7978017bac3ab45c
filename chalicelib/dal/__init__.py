"""Data access: PynamoDB models and repositories. Nothing outside dal/ sees a Model."""
