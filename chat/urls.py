from chatelly.api.routes import both

from . import views

urlpatterns = [
    *both("websites/<int:website_id>/chats", views.ChatListView.as_view(), "chat-list"),
    *both("chats", views.InboxView.as_view(), "chat-inbox"),
    *both("chats/<int:chat_id>", views.ChatDetailView.as_view(), "chat-detail"),
    *both("chats/<int:chat_id>/visitor", views.ChatVisitorView.as_view(), "chat-visitor"),
    *both("chats/<int:chat_id>/messages", views.ChatMessagesView.as_view(), "chat-messages"),
    *both("chats/<int:chat_id>/close", views.ChatCloseView.as_view(), "chat-close"),
    *both("chats/<int:chat_id>/assign", views.ChatAssignView.as_view(), "chat-assign"),
    *both("realtime/ticket", views.TicketView.as_view(), "realtime-ticket"),
    *both("uploads", views.AgentUploadView.as_view(), "uploads"),
]
