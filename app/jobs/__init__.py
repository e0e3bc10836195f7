"""Running training jobs off the event loop and streaming their events."""
