"""Money trails: transfers (goAML, bank CSV), party resolution, the transfer graph, indicators
and their scoring, stored runs and outputs. See docs/money.md."""
