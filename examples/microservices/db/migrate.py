"""A one-shot migration: writes the schema version and seeds two orders (once), then exits 0.

Runs after db is ready; orders starts only once this has exited with 0 (process_completed_successfully).
"""
import json
import os
import socket
import sys

ADDRESS = ("127.0.0.1", int(os.environ["DB_PORT"]))
SCHEMA_VERSION = "1"
SEED = [{"sku": "espresso", "qty": 2}, {"sku": "croissant", "qty": 3}]


def main():
    try:
        connection = socket.create_connection(ADDRESS, timeout=5)
    except OSError as error:
        print(f"migrate: cannot reach db at {ADDRESS[0]}:{ADDRESS[1]}: {error}", file=sys.stderr)
        return 1
    with connection, connection.makefile("rw", encoding="utf-8", newline="\n") as db:
        def call(command):
            db.write(command + "\n")
            db.flush()
            answer = db.readline().rstrip("\n")
            if answer.startswith("ERR"):
                raise RuntimeError(f"db refused '{command}': {answer}")
            return answer

        seeded = call("GET seeded") != "NIL"
        if not seeded:
            for order in SEED:
                order_id = int(call("INCR order_id").split(" ", 1)[1])
                call("RPUSH orders " + json.dumps({"id": order_id, **order}))
            call("SET seeded 1")
        call("SET schema_version " + SCHEMA_VERSION)
    print(f"migrate: schema v{SCHEMA_VERSION}" + ("" if seeded else f", {len(SEED)} orders seeded"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
