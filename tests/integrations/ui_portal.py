"""A small legacy portal for UI step tests, served by http.server in a thread (no Django).

/login/         form #username #password button[type=submit]; wrong => h1 "Login failed"
/orders/        h1 "Orders" (signed in); ?q=PO lists matches in table#results, td.po-number, td.so-number
/orders/new/    form #po-number (#purchase-order when mode is "changed"), #amount, select#currency,
                button#save; saving shows h1 "Order saved" and span#order-number
/broken/        answers 500;  /gone/ answers 404
`portal.mode`: "ok", "changed", "slow" (every page waits `portal.delay` seconds), "down" (500s).
`portal.orders`: what was saved, duplicates kept (a test counts them).
"""

import html
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USER, PASSWORD = "buyer", "s3cret-Pa55"

PAGE = "<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


class Portal:
    def __init__(self):
        self.mode = "ok"
        self.delay = 5.0
        self.orders: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "Portal":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, title: str, body: str, headers=None):
                raw = PAGE.format(title=html.escape(title), body=body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def _redirect(self, to: str, cookie: str = ""):
                self.send_response(303)
                self.send_header("Location", to)
                if cookie:
                    self.send_header("Set-Cookie", cookie)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _signed_in(self) -> bool:
                return "session=ok" in (self.headers.get("Cookie") or "")

            def _form(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

            def _wait(self) -> bool:
                if portal.mode == "slow":
                    time.sleep(portal.delay)
                if portal.mode == "down":
                    self._send(500, "Server error", "<h1>Internal error</h1>")
                    return False
                return True

            def do_GET(self):
                if not self._wait():
                    return
                parts = urlsplit(self.path)
                if parts.path == "/login/":
                    return self._send(
                        200,
                        "Portal login",
                        '<h1>Sign in</h1><form method="post" action="/login/">'
                        '<input id="username" name="username"><input id="password" name="password" type="password">'
                        '<button type="submit">Sign in</button></form>',
                    )
                if parts.path == "/broken/":
                    return self._send(500, "Error", "<h1>Error</h1>")
                if not self._signed_in():
                    return self._redirect("/login/")
                if parts.path == "/orders/":
                    query = parse_qs(parts.query).get("q", [""])[0]
                    rows = "".join(
                        f'<tr><td class="po-number">{html.escape(o["po"])}</td>'
                        f'<td class="so-number">{html.escape(o["so"])}</td></tr>'
                        for o in portal.orders
                        if query and o["po"] == query
                    )
                    return self._send(
                        200,
                        "Orders",
                        '<h1>Orders</h1><form method="get" action="/orders/"><input id="search" name="q">'
                        f'<button id="search-go" type="submit">Search</button></form>'
                        f'<table id="results"><tbody>{rows}</tbody></table>',
                    )
                if parts.path == "/orders/new/":
                    po = "purchase-order" if portal.mode == "changed" else "po-number"
                    return self._send(
                        200,
                        "New order",
                        '<h1>New order</h1><form method="post" action="/orders/new/">'
                        f'<input id="{po}" name="po"><input id="amount" name="amount">'
                        '<select id="currency" name="currency"><option value="EUR">Euro</option>'
                        '<option value="USD">US dollar</option></select>'
                        '<textarea id="note" name="note"></textarea><button id="save" type="submit">Save</button></form>',
                    )
                return self._send(404, "Not found", "<h1>Not found</h1>")

            def do_POST(self):
                if not self._wait():
                    return
                form = self._form()
                if self.path == "/login/":
                    if form.get("username") == USER and form.get("password") == PASSWORD:
                        return self._redirect("/orders/", cookie="session=ok; Path=/")
                    who = html.escape(form.get("username", ""))  # echoed, as old portals do: redaction's test
                    return self._send(
                        200, f"Login failed for {who}", f'<h1>Login failed</h1><p id="who">Unknown user {who}</p>'
                    )
                if self.path == "/orders/new/" and self._signed_in():
                    number = f"SO-{len(portal.orders) + 1:06d}"
                    portal.orders.append(
                        {
                            "po": form.get("po", ""),
                            "amount": form.get("amount"),
                            "currency": form.get("currency"),
                            "note": form.get("note", ""),
                            "so": number,
                        }
                    )
                    return self._send(
                        200, "Order saved", f'<h1>Order saved</h1><p>Number <span id="order-number">{number}</span></p>'
                    )
                return self._send(404, "Not found", "<h1>Not found</h1>")

        return Handler
