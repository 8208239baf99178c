# A counting-nothing OTLP/HTTP sink for flood-profile.sh: reads each POST and answers 200 with an empty body.
import sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0)); 
        remaining = n
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk: break
            remaining -= len(chunk)
        self.send_response(200); self.send_header('Content-Type','application/x-protobuf'); self.send_header('Content-Length','0'); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
