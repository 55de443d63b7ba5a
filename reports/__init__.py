"""The analytics dashboard's figures: totals, daily series, busiest hours and
response times per website or across all, over HTTP and as CSV. It reads the
analytics app's rollups and the chat app's chats and messages, and writes nothing."""
