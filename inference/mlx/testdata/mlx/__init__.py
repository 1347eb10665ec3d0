"""Test stand-in for the mlx package (only what the worker and the stand-in mlx_vlm use). Not MLX."""
