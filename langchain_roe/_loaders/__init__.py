"""The loaders' machinery: the shared base, units of work, and units found by listing."""
