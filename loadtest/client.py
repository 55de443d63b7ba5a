"""The load generator's HTTP side: an owner, a website, tickets and REST reads."""

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit


class Api:
    def __init__(self, base_url: str, spread: list[str] | None = None):
        self.base = base_url.rstrip("/")
        self.spread = [url.rstrip("/") for url in spread or []]  # more servers of the same deployment
        self.access: str | None = None

    def call(self, method: str, path: str, body=None, *, auth: bool = True) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if auth and self.access:
            headers["Authorization"] = f"Bearer {self.access}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, {"raw": raw[:200].decode(errors="replace")}

    def sign_in(self, email: str, password: str) -> None:
        status, body = self.call(
            "POST", "/api/v1/auth/login", {"email": email, "password": password}, auth=False
        )
        if status == 401:
            status, body = self.call(
                "POST",
                "/api/v1/auth/register",
                {"email": email, "password": password, "name": "Load test"},
                auth=False,
            )
        if status not in (200, 201):
            raise RuntimeError(f"cannot sign in as {email}: {status} {body}")
        self.access = body["access"]

    def website(self, *, domain: str, max_users: int, key: str | None) -> dict:
        """The website of --key, or a new one per run (so runs never share presence or chats)."""
        if key:
            status, page = self.call("GET", "/api/v1/websites?page_size=100")
            if status != 200:
                raise RuntimeError(f"cannot list websites: {status} {page}")
            for site in page["results"]:
                if site["widget_key"] == key:
                    if site["max_users"] < max_users:
                        self._set_max_users(site, max_users)
                    return site
            raise RuntimeError("no website of this owner has that widget key")
        name = f"Load test {time.strftime('%Y%m%d-%H%M%S')}"
        status, site = self.call(
            "POST", "/api/v1/websites", {"name": name, "domain": domain, "max_users": max_users}
        )
        if status != 201:
            raise RuntimeError(
                f"cannot create the website: {status} {site} (over the plan? `manage.py set_plan --plan business`, "
                "or pass --key)"
            )
        return site

    def _set_max_users(self, site: dict, max_users: int) -> None:
        status, body = self.call("PATCH", f"/api/v1/websites/{site['id']}", {"max_users": max_users})
        if status != 200:
            raise RuntimeError(f"cannot raise max_users: {status} {body}")
        site["max_users"] = max_users

    def ticket(self) -> str:
        status, body = self.call("POST", "/api/v1/realtime/ticket")
        if status != 201:
            raise RuntimeError(f"no ticket: {status} {body}")
        return body["ticket"]

    def messages(self, chat_id: int) -> list[dict]:
        """Every message of a chat, paging with ?after=."""
        out, after = [], 0
        while True:
            status, page = self.call("GET", f"/api/v1/chats/{chat_id}/messages?after={after}&limit=200")
            if status != 200:
                raise RuntimeError(f"cannot read chat {chat_id}: {status} {page}")
            out += page["results"]
            if page["next_after"] is None:
                return out
            after = page["next_after"]

    def ws_base(self, url: str | None = None) -> str:
        parts = urlsplit(url or self.base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}"

    def ws_bases(self) -> list[str]:
        """Where sockets go: the main URL and every --spread one, in turn."""
        return [self.ws_base(url) for url in [self.base, *self.spread]]
