"""The chat app: visitors, chats and messages. Writes go through `services/`
(one package, by area), reads through `selectors.py`; `sockets/` holds both
WebSockets and their shared guards, `writer/` the batched message writer,
`presence/` who is connected, `bot.py` the automatic replies, `uploads/` files."""
