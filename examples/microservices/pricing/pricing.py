"""The pricing service: unit prices over HTTP. Python standard library only.

    GET /health           -> 200 ok (its readiness and liveness probes)
    GET /price?sku=NAME   -> 200 {"sku": ..., "unit_price": ..., "currency": ...} | 404
    GET /crash            -> answers, then exits with code 1: watch Brummer restart it (availability: on_failure)
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HOST = os.environ.get("BIND", "127.0.0.1")
PORT = int(os.environ["PRICING_PORT"])
CURRENCY = os.environ.get("PRICING_CURRENCY", "EUR")
PRICES = {"espresso": 2.40, "croissant": 1.90, "bagel": 2.10, "latte": 3.20}


class Pricing(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            self.answer(200, {"status": "ok"})
        elif url.path == "/price":
            sku = parse_qs(url.query).get("sku", [""])[0]
            if sku in PRICES:
                self.answer(200, {"sku": sku, "unit_price": PRICES[sku], "currency": CURRENCY})
            else:
                self.answer(404, {"error": f"no price for '{sku}'", "known": sorted(PRICES)})
        elif url.path == "/crash":
            self.answer(200, {"status": "crashing"})
            print("pricing: crash requested, exiting with code 1", file=sys.stderr, flush=True)
            os._exit(1)
        else:
            self.answer(404, {"error": "try /price?sku=espresso, /health or /crash"})

    def answer(self, status, body):
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def log_message(self, format, *args):
        # Probes call /health every few seconds: log only the requests a person made.
        if not self.path.startswith("/health"):
            print(f"pricing: {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer((HOST, PORT), Pricing)
    print(f"pricing: listening on http://{HOST}:{PORT} ({len(PRICES)} prices in {CURRENCY})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
