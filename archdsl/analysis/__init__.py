"""Static analyses of a checked model: receptive fields, differences between specs."""
