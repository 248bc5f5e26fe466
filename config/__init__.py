"""Settings: every environment variable with its default, read once; the floor every room stands on."""
