"""The Zalo OA channel: events in, the OA API client, and plain-text replies."""
