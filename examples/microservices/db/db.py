"""A database stand-in: an in-memory key-value store over TCP, one command per line, one answer per line.

    PING            -> PONG
    GET key         -> VALUE <text> | NIL
    SET key text    -> OK
    INCR key        -> VALUE <n>
    RPUSH key text  -> VALUE <length>
    LRANGE key      -> VALUE <JSON array of the list's items>

Anything else answers ERR with what is accepted. Python standard library only.
"""
import json
import os
import socketserver
import sys
import threading

HOST = os.environ.get("BIND", "127.0.0.1")
PORT = int(os.environ["DB_PORT"])

data = {}
lock = threading.Lock()


def execute(line):
    command, _, rest = line.partition(" ")
    command = command.upper()
    key, _, text = rest.partition(" ")
    with lock:
        if command == "PING":
            return "PONG"
        if command == "GET" and key:
            value = data.get(key)
            return "NIL" if value is None else f"VALUE {value}"
        if command == "SET" and key:
            data[key] = text
            return "OK"
        if command == "INCR" and key:
            data[key] = str(int(data.get(key, "0")) + 1)
            return f"VALUE {data[key]}"
        if command == "RPUSH" and key:
            items = data.setdefault(key, [])
            items.append(text)
            return f"VALUE {len(items)}"
        if command == "LRANGE" and key:
            return "VALUE " + json.dumps(data.get(key, []))
    return "ERR expected PING, GET key, SET key text, INCR key, RPUSH key text or LRANGE key"


class Connection(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line:
                self.wfile.write((execute(line) + "\n").encode("utf-8"))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server((HOST, PORT), Connection) as server:
        print(f"db: listening on {HOST}:{PORT} (in memory: everything is gone when it stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            sys.exit(0)
