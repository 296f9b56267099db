"""A webhook receiver for the tests (http.server on 127.0.0.1, the stack's
CERTMILL_WEBHOOK_PORT) and an independent implementation of the Standard Webhooks
verification (https://www.standardwebhooks.com), written from the specification with
hmac/hashlib/base64 only: it shares no code with certmill's C signer."""

import base64
import hashlib
import hmac
import http.server
import threading
import time


def verify(secret, headers, body, tolerance=300, now=None):
    """Checks a delivery as a panel would: the secret "whsec_<base64 key>", the headers
    webhook-id, webhook-timestamp and webhook-signature ("v1,<base64>" entries separated by
    spaces), the raw body bytes. Returns True when one v1 signature matches and the
    timestamp is within tolerance seconds; False otherwise."""
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not (msg_id and ts and sigs and secret.startswith("whsec_")):
        return False
    if abs((now or time.time()) - int(ts)) > tolerance:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    signed = msg_id.encode() + b"." + ts.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for entry in sigs.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


class Receiver:
    """Answers POSTs by path: a script of statuses per path (then 200), or a redirect.
    Every request is recorded as (path, headers as a lower-case dict, body bytes)."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.requests = []
        self.scripts = {}
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                h = {k.lower(): v for k, v in self.headers.items()}
                with recv.lock:
                    recv.requests.append((self.path, h, body))
                    script = recv.scripts.get(self.path, [])
                    status = script.pop(0) if script else 200
                self.send_response(status)
                if status in (301, 302, 303, 307, 308):
                    self.send_header("Location", self.path + "/redirected")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path, statuses):
        """The statuses path answers, in order; 200 after them."""
        with self.lock:
            self.scripts[path] = list(statuses)

    def received(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]

    def wait(self, path, count, timeout=60):
        """Waits until path got at least count requests; returns them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.received(path)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{path}: {len(self.received(path))} requests after {timeout}s, wanted {count}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
