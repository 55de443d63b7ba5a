"""Uploaded files outside the write path: what a file really is (`files`), how it
is served from local storage (`media`) and stored on S3 (`storage`). Storing an
upload is a write: `chat.services.uploads`."""
