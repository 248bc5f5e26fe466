"""Stand-ins for the services tests and the bench cannot reach (Telegram's Bot API, Zalo's OA API),
following their published APIs, and the webhook load the bench drives: tooling imports these, never tests/."""
