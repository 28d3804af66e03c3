"""Robot assets of the example tasks: model files located offline and their settings as data."""
