"""The load generator's socket side (asyncio + the `websockets` client), bounded in count and time."""

import asyncio
import gc
import http.client
import json
import random
import resource
import statistics
import threading
import time
import uuid
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from .client import Api


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1] * 1000, 2)}


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def raise_fd_limit() -> int:
    """Lift this process's open-file limit to the hard one (server processes started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
    return hard


async def _open(url: str, origin: str | None):
    # ping_interval=None: browsers send no WebSocket pings (they answer the server's).
    return await connect(
        url, origin=origin, compression=None, open_timeout=20, max_size=2**22, proxy=None, ping_interval=None
    )


async def _send_paced(sockets: list, *, rate: float, duration: float, sent_at: dict, errors: dict) -> float:
    """Every socket sends message frames, `rate` a second in all, for `duration` s; the seconds it took."""
    interval = len(sockets) / rate
    started = time.monotonic()

    async def send_loop(ws):
        await asyncio.sleep(random.random() * interval)  # noqa: S311 (spread, not security)
        deadline = started + duration
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            client_id = uuid.uuid4().hex
            sent_at[client_id] = time.monotonic()
            try:
                await ws.send(
                    json.dumps({"type": "message", "content": f"load {client_id}", "client_id": client_id})
                )
            except Exception:
                errors["send_failed"] = errors.get("send_failed", 0) + 1
                return
            next_at += interval
            await asyncio.sleep(max(0.0, min(next_at, deadline) - time.monotonic()))

    await asyncio.gather(*(send_loop(ws) for ws in sockets))
    return time.monotonic() - started


async def _settle(done, seconds: float = 10) -> None:
    """Wait until done() (everything acked and delivered) or `seconds` have passed."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if done():  # polled: done() looks at every socket's tally, too much for each frame
            return
        await asyncio.sleep(0.2)


async def _drive(people, agent_sockets, readers, rate, duration, sent_at, errors, acked, delivered) -> float:
    """Send at `rate` for `duration`, wait up to 10 s until every message is acked and delivered(),
    close every socket; the seconds of sending."""
    # The generator's own garbage collections (its heap grows with every frame it
    # keeps) would pause it for tens of ms and show up as server latency.
    gc.collect()
    gc.disable()
    try:
        sending_time = await _send_paced(
            [v.ws for v in people], rate=rate, duration=duration, sent_at=sent_at, errors=errors
        )
    finally:
        gc.enable()
    await _settle(lambda: len(acked) >= len(sent_at) - sum(errors.values()) and delivered())
    for ws in [*(v.ws for v in people), *agent_sockets]:
        await ws.close()
    for task in readers:
        task.cancel()
    return sending_time


def _summary(
    people, open_failures, agents, rate, sending_time, sent_at, acked, errors, ack_latency, delivery_latency
):
    """What the messages and relay modes both report."""
    return {
        "visitors": len(people),
        "visitor_connect_failures": open_failures,
        "agents": agents,
        "target_rate": rate,
        "duration_s": round(sending_time, 2),
        "sent": len(sent_at),
        "acked": len(acked),
        "achieved_rate": round(len(acked) / sending_time, 1) if sending_time else 0,
        "errors": errors,
        "ack_latency_ms": percentiles(ack_latency),
        "visitor_to_agent_latency_ms": percentiles([latency for _, latency in delivery_latency]),
        "visitor_to_agent_p99_ms_by_5s": by_window(delivery_latency, sent_at),
    }


def by_window(latencies: list[tuple[str, float]], sent_at: dict, seconds: float = 5) -> list:
    """p99 of the latencies of the messages sent in each `seconds` window, in order:
    where a slow run was slow (a steady queue, or stalls)."""
    if not latencies:
        return []
    first = min(sent_at.values())
    windows: dict[int, list[float]] = {}
    for client_id, latency in latencies:
        windows.setdefault(int((sent_at[client_id] - first) // seconds), []).append(latency)
    return [percentiles(windows.get(i, []))["p99"] for i in range(max(windows) + 1)]


class Visitor:
    def __init__(self, index: int):
        self.index = index
        self.ws = None
        self.token = None
        self.sent: dict[str, float] = {}


async def open_visitors(
    ws_bases: list[str], site: dict, origin: str | None, count: int, *, concurrency: int = 100, path: str = ""
) -> tuple:
    """Open `count` visitor sockets (the widget's, or at `path`); (visitors, failures, seconds)."""
    gate = asyncio.Semaphore(concurrency)
    visitors, failures = [], 0
    started = time.monotonic()

    async def one(i: int):
        nonlocal failures
        async with gate:
            visitor = Visitor(i)
            try:
                ws_base = ws_bases[i % len(ws_bases)]  # spread over the servers given
                visitor.ws = await _open(f"{ws_base}{path or '/widget/ws/' + site['widget_key']}", origin)
                if not path:  # the widget's socket greets with the visitor's session
                    session = json.loads(await asyncio.wait_for(visitor.ws.recv(), 20))
                    if session.get("type") != "session":
                        raise RuntimeError(session)
                    visitor.token = session["token"]
                visitors.append(visitor)
            except Exception:
                failures += 1
                if visitor.ws is not None:
                    await visitor.ws.close()

    await asyncio.gather(*(one(i) for i in range(count)))
    return visitors, failures, time.monotonic() - started


async def run_messages(
    api: Api, site: dict, origin: str, *, visitors: int, agents: int, rate: float, duration: float
):
    ws_bases = api.ws_bases()
    agent_sockets = await _open_agents(api, ws_bases, agents)
    people, open_failures, _ = await open_visitors(ws_bases, site, origin, visitors)
    if not people:
        raise RuntimeError("no visitor socket could connect (connection limits? CHATELLY_WS_CONN_PER_IP)")

    sent_at: dict[str, float] = {}
    acked: dict[str, dict] = {}
    ack_latency, delivery_latency = [], []
    deliveries: dict[int, list[int]] = {}  # message id -> agent socket indexes that got it
    errors: dict[str, int] = {}

    readers = [
        asyncio.ensure_future(_read_agent(i, ws, sent_at, deliveries, delivery_latency))
        for i, ws in enumerate(agent_sockets)
    ]
    readers += [asyncio.ensure_future(_read_visitor(v, sent_at, acked, ack_latency, errors)) for v in people]

    def delivered() -> bool:
        return all(len(deliveries.get(m["id"], [])) >= len(agent_sockets) for m in acked.values())

    sending_time = await _drive(
        people, agent_sockets, readers, rate, duration, sent_at, errors, acked, delivered
    )

    stored_ids, gaps, stored_dupes = _stored(api, {m["chat_id"] for m in acked.values()})
    acked_ids = {m["id"] for m in acked.values()}
    not_delivered = [i for i in acked_ids if len(deliveries.get(i, [])) < len(agent_sockets)]
    counts = (sending_time, sent_at, acked, errors, ack_latency, delivery_latency)
    return {
        "mode": "messages",
        **_summary(people, open_failures, len(agent_sockets), rate, *counts),
        "delivered_to_every_agent": len(acked_ids) - len(not_delivered),
        "not_delivered_live": len(not_delivered),
        "lost": len(acked_ids - stored_ids),
        "duplicated": stored_dupes + sum(max(0, len(a) - len(set(a))) for a in deliveries.values()),
        "chats_with_seq_gaps": gaps,
    }


async def _open_agents(api: Api, ws_bases: list[str], agents: int) -> list:
    """`agents` agent sockets, spread over the servers, each past its `ready` frame."""
    agent_sockets = []
    for n in range(agents):
        ws = await _open(f"{ws_bases[n % len(ws_bases)]}/ws/agent/?ticket={api.ticket()}", None)
        ready = json.loads(await ws.recv())
        if ready.get("type") != "ready":
            raise RuntimeError(f"agent socket refused: {ready}")
        agent_sockets.append(ws)
    return agent_sockets


async def _read_agent(index: int, ws, sent_at: dict, deliveries: dict, delivery_latency: list) -> None:
    """Note which agent socket got each message, and a visitor message's latency."""
    try:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                message = frame["message"]
                deliveries.setdefault(message["id"], []).append(index)
                sent = sent_at.get(message.get("client_id") or "")
                if sent is not None and message["sender_type"] == "visitor":
                    delivery_latency.append((message["client_id"], time.monotonic() - sent))
    except Exception:  # closed at the end
        return


async def _read_visitor(
    visitor: Visitor, sent_at: dict, acked: dict, ack_latency: list, errors: dict
) -> None:
    """Note each ack (and its latency) and each error code a visitor's socket got."""
    try:
        async for raw in visitor.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "ack" and frame.get("client_id") in sent_at:
                if frame["client_id"] not in acked:
                    ack_latency.append(time.monotonic() - sent_at[frame["client_id"]])
                    acked[frame["client_id"]] = frame["message"]
            elif kind == "error":
                errors[frame.get("code", "?")] = errors.get(frame.get("code", "?"), 0) + 1
    except Exception:
        return


def _stored(api: Api, chats: set) -> tuple[set, int, int]:
    """What the API stored of these chats: (message ids, chats whose seq has a gap,
    duplicated client_ids). Every acked message must be stored, each seq gap-free."""
    stored_ids, gaps, stored_dupes = set(), 0, 0
    for chat_id in chats:
        messages = api.messages(chat_id)
        seqs = [m["seq"] for m in messages]
        gaps += int(seqs != list(range(1, len(seqs) + 1)))
        client_ids = [m["client_id"] for m in messages if m["client_id"]]
        stored_dupes += len(client_ids) - len(set(client_ids))
        stored_ids |= {m["id"] for m in messages}
    return stored_ids, gaps, stored_dupes


async def run_relay(ws_bases: list[str], *, visitors: int, agents: int, rate: float, duration: float) -> dict:
    """The messages mode against the bare Channels relay (loadtest.echo): nothing is stored."""
    agent_sockets = [await _open(f"{ws_bases[n % len(ws_bases)]}/relay/agent", None) for n in range(agents)]
    people, open_failures, _ = await open_visitors(ws_bases, {}, None, visitors, path="/relay/visitor")
    if not people:
        raise RuntimeError("no visitor socket could connect to the relay")
    sent_at: dict[str, float] = {}
    acked: set[str] = set()
    ack_latency, delivery_latency = [], []
    deliveries: dict[str, list[int]] = {}  # client_id -> agent socket indexes that got it
    errors: dict[str, int] = {}

    async def read(ws, index: int | None):
        try:
            async for raw in ws:
                frame = json.loads(raw)
                client_id = frame.get("client_id") or frame.get("message", {}).get("client_id")
                if client_id not in sent_at:
                    continue
                latency = time.monotonic() - sent_at[client_id]
                if index is not None and frame.get("type") == "message":
                    deliveries.setdefault(client_id, []).append(index)
                    delivery_latency.append((client_id, latency))
                elif index is None and frame.get("type") == "ack" and client_id not in acked:
                    acked.add(client_id)
                    ack_latency.append(latency)
        except Exception:  # closed at the end
            return

    readers = [asyncio.ensure_future(read(ws, i)) for i, ws in enumerate(agent_sockets)]
    readers += [asyncio.ensure_future(read(v.ws, None)) for v in people]

    def missing() -> list[str]:  # acked but not received by every agent socket
        return [c for c in acked if len(set(deliveries.get(c, []))) < agents]

    def delivered() -> bool:
        return not missing()

    sending_time = await _drive(
        people, agent_sockets, readers, rate, duration, sent_at, errors, acked, delivered
    )
    not_delivered = missing()
    counts = (sending_time, sent_at, acked, errors, ack_latency, delivery_latency)
    return {
        "mode": "relay",
        **_summary(people, open_failures, agents, rate, *counts),
        "delivered_to_every_agent": len(acked) - len(not_delivered),
        "not_delivered": len(not_delivered),
        "duplicated": sum(len(a) - len(set(a)) for a in deliveries.values()),
    }


async def run_idle(api: Api, site: dict, origin: str, *, sockets: int, hold: float, pids: list[int]):
    ws_bases = api.ws_bases()
    before = rss_kb(pids) if pids else None
    people, failures, seconds = await open_visitors(ws_bases, site, origin, sockets, concurrency=200)
    await asyncio.sleep(min(hold, 5))
    during = rss_kb(pids) if pids else None
    await asyncio.sleep(max(0, hold - 5))
    tokens = [v.token for v in people]
    for visitor in people:
        await visitor.ws.close()
    # The reconnect storm: every visitor at once, with its token (a server restart).
    storm_started = time.monotonic()
    gate = asyncio.Semaphore(500)
    back, storm_failures = [], 0

    async def again(index: int, token):
        nonlocal storm_failures
        async with gate:
            try:
                ws_base = ws_bases[index % len(ws_bases)]
                ws = await _open(f"{ws_base}/widget/ws/{site['widget_key']}?token={token}", origin)
                json.loads(await asyncio.wait_for(ws.recv(), 30))
                back.append(ws)
            except Exception:
                storm_failures += 1

    await asyncio.gather(*(again(i, t) for i, t in enumerate(tokens)))
    storm_seconds = time.monotonic() - storm_started
    for ws in back:
        await ws.close()
    return {
        "mode": "idle",
        "sockets_opened": len(people),
        "open_failures": failures,
        "open_rate_per_s": round(len(people) / seconds, 1) if seconds else None,
        "rss_kb_before": before,
        "rss_kb_with_sockets": during,
        "rss_kb_per_socket": round((during - before) / len(people), 1) if pids and people else None,
        "reconnect_storm_s": round(storm_seconds, 2),
        "reconnected": len(back),
        "reconnect_failures": storm_failures,
    }


def run_rest(api: Api, site: dict, origin: str, *, concurrency: int, duration: float) -> dict:
    """GET a 50-message page from `concurrency` threads with keep-alive connections."""
    chat_id = asyncio.run(_chat_with_messages(api, site, origin, 50))
    servers = [urlsplit(url) for url in [api.base, *api.spread]]
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(parts):
        nonlocal failures
        conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(parts.hostname, parts.port, timeout=30)
        headers = {"Authorization": f"Bearer {api.access}"}
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                conn.request("GET", f"/api/v1/chats/{chat_id}/messages?limit=50", headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except Exception:
                ok = False
                conn.close()
            with lock:
                if ok:
                    latencies.append(time.monotonic() - started)
                else:
                    failures += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(servers[n % len(servers)],)) for n in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "mode": "rest",
        "concurrency": concurrency,
        "duration_s": round(elapsed, 2),
        "requests": len(latencies),
        "failures": failures,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "latency_ms": percentiles(latencies),
        "mean_ms": round(statistics.mean(latencies) * 1000, 2) if latencies else None,
    }


async def _chat_with_messages(api: Api, site: dict, origin: str, count: int) -> int:
    ws = await _open(f"{api.ws_base()}/widget/ws/{site['widget_key']}", origin)
    await ws.recv()
    await ws.send(json.dumps({"type": "message", "content": "REST benchmark", "client_id": uuid.uuid4().hex}))
    while (frame := json.loads(await ws.recv()))["type"] != "ack":
        pass
    await ws.close()
    chat_id = frame["message"]["chat_id"]
    for n in range(count - 1):
        api.call("POST", f"/api/v1/chats/{chat_id}/messages", {"content": f"reply {n}", "client_id": f"r{n}"})
    return chat_id


def prepare(api: Api, *, email: str, password: str, domain: str, key: str | None, need: int, plan: str = ""):
    """Sign in (registering on the first run), optionally put the owner on `plan` through this
    process's database (it must be the deployment's), get the website; (site, origin)."""
    api.sign_in(email, password)
    if plan:
        from accounts.selectors import user_get_by_email
        from accounts.services import user_set_plan

        user_set_plan(user=user_get_by_email(email=email), plan=plan)
    site = api.website(domain=domain, max_users=need, key=key)
    return site, f"{urlsplit(api.base).scheme or 'http'}://{site['domain'].lstrip('*.')}"


def run(
    api: Api,
    mode: str,
    *,
    rate: float,
    duration: float,
    visitors: int | None = None,
    agents: int = 1,
    sockets: int = 100,
    concurrency: int = 8,
    pids: list[int] | None = None,
    **owner,
) -> dict:
    """One run of `mode` against api's servers: what `manage.py loadtest` and `benchmark_report` call.
    `owner`: prepare()'s email, password, domain, key and plan (not used by the relay)."""
    limit = raise_fd_limit()
    if mode == "idle" and limit < sockets + 100:
        raise RuntimeError(f"{sockets} sockets need more open files than `ulimit -Hn` ({limit}) allows")
    visitors = visitors or max(1, int(rate))
    if mode == "relay":
        return asyncio.run(
            run_relay(api.ws_bases(), visitors=visitors, agents=agents, rate=rate, duration=duration)
        )
    site, origin = prepare(api, need=max(visitors, sockets if mode == "idle" else 1), **owner)
    if mode == "messages":
        return asyncio.run(
            run_messages(api, site, origin, visitors=visitors, agents=agents, rate=rate, duration=duration)
        )
    if mode == "idle":
        return asyncio.run(run_idle(api, site, origin, sockets=sockets, hold=duration, pids=pids or []))
    return run_rest(api, site, origin, concurrency=concurrency, duration=duration)
