"""The locally organised volunteer reserve: opt-in, call-outs, matching and dispatch."""
