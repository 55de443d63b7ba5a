"""The shapes of what `chatelly.realtime` sends: frames and channel-layer events.

Types only (TypedDicts are plain dicts at run time): a *frame* is the JSON object
a socket writes to its client (docs/protocol.md); an *event* is what
travels over the channel layer to the consumers, whose "type" names the handler
(`chat.forward` -> `chat_forward`). The nested message and chat objects are the
serializers' dicts, not described here.
"""

from typing import Any, Literal, TypeAlias, TypedDict

# --- frames (sent to the sockets' clients as JSON) --------------------------------


class ChatStartedFrame(TypedDict):
    type: Literal["chat_started"]
    chat: dict[str, Any]


class MessageFrame(TypedDict):
    type: Literal["message"]
    message: dict[str, Any]


class ChatStatusFrame(TypedDict):
    type: Literal["chat_status"]
    chat_id: int
    status: str
    assigned_to: int | None


class ReadFrame(TypedDict):
    type: Literal["read"]
    chat_id: int
    by: str  # "visitor" or "agent"
    seq: int


# "from" is a keyword: the functional syntax.
TypingFrame = TypedDict(
    "TypingFrame",
    {"type": Literal["typing"], "chat_id": int, "from": str, "is_typing": bool},
)


class VisitorPresenceFrame(TypedDict):
    type: Literal["visitor_presence"]
    chat_id: int
    visitor_id: str
    online: bool


Frame: TypeAlias = (
    ChatStartedFrame | MessageFrame | ChatStatusFrame | ReadFrame | TypingFrame | VisitorPresenceFrame
)

# --- channel-layer events (to the consumers' handlers) ----------------------------


class ForwardEvent(TypedDict):
    """Send `frame` as is to every socket of the group but `exclude` (a channel name)."""

    type: Literal["chat.forward"]
    frame: Frame
    exclude: str | None


# [frame, exclude]: a list, not a tuple, as it has always been sent.
ForwardItem: TypeAlias = list[Any]


class ForwardManyEvent(TypedDict):
    """Several forwards to one group, in order."""

    type: Literal["chat.forward_many"]
    items: list[ForwardItem]


class SocketCloseEvent(TypedDict):
    type: Literal["socket.close"]
    code: int


class WidgetOffEvent(TypedDict):
    type: Literal["widget.off"]


class MembershipEvent(TypedDict):
    type: Literal["membership.added", "membership.removed"]
    website_id: int


class AgentsPresenceEvent(TypedDict):
    """Re-check agents_online with a read made after `at` (a time.time())."""

    type: Literal["presence.agents"]
    at: float


Event: TypeAlias = (
    ForwardEvent
    | ForwardManyEvent
    | SocketCloseEvent
    | WidgetOffEvent
    | MembershipEvent
    | AgentsPresenceEvent
)

# (group, event): what the `*_on_commit` helpers and `deferred()` collect.
GroupEvent: TypeAlias = tuple[str, Event]
