"""The chat app's one write path (sockets, views, admin, commands): each function
runs in one transaction and sends its events after commit via `chatelly.realtime`.
By area: `visitors`, `chats` (state, read receipts), `messages`, `visitor_messages`
(batched), `uploads`, `retention`; callers use the names exported here."""

from .chats import (
    chat_assign,
    chat_close,
    chat_close_by_agent,
    chat_close_by_visitor,
    messages_read_by_agent,
    messages_read_by_visitor,
)
from .messages import Posted, agent_message_post
from .retention import data_purge, unused_uploads_purge, visitor_erase, visitor_export
from .uploads import QuotaExceeded, attachment_create, upload_store
from .visitor_messages import MessageJob, message_job, visitor_message_post, visitor_messages_post
from .visitors import (
    VISIT_GAP,
    VisitorSession,
    visitor_chat_session,
    visitor_connect,
    visitor_identify,
    visitor_page_view,
    visitor_session,
    visitor_session_on_loop,
    visitors_seen,
)

__all__ = [
    "VISIT_GAP",
    "MessageJob",
    "Posted",
    "QuotaExceeded",
    "VisitorSession",
    "agent_message_post",
    "attachment_create",
    "chat_assign",
    "chat_close",
    "chat_close_by_agent",
    "chat_close_by_visitor",
    "data_purge",
    "message_job",
    "messages_read_by_agent",
    "messages_read_by_visitor",
    "unused_uploads_purge",
    "upload_store",
    "visitor_chat_session",
    "visitor_connect",
    "visitor_erase",
    "visitor_export",
    "visitor_identify",
    "visitor_message_post",
    "visitor_messages_post",
    "visitor_page_view",
    "visitor_session",
    "visitor_session_on_loop",
    "visitors_seen",
]
