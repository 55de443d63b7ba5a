"""The two WebSockets (agent and visitor) and what they share: the base consumer,
frame parsing, per-type budgets, handshake limits, tickets and visitor tokens,
the per-process heartbeat and the drain on shutdown."""
