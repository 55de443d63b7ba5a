"""The batched writer of visitors' messages: `queue` gathers the frames of every
socket in this process and stores them in one transaction per batch; `statements` holds
the hand-written statements those batches (and the visitor connect) run."""
