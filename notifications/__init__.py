"""Agent notifications: unread chats emailed and pushed to the dashboard (Web Push)."""
