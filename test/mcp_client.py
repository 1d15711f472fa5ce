#!/usr/bin/env python3
"""mcp_client.py - drive an MCP server over stdio from a script (tests).

usage: mcp_client.py [-t SECONDS] -- COMMAND [ARG...]

Starts COMMAND with pipes on stdin and stdout (its stderr is inherited),
runs the script read from our stdin, one step per line, and prints every
line the server writes on stdout as it arrives (a line that is not JSON
is printed as {"_nonjson": LINE}). Steps:

  send TEXT               write TEXT and a newline to the server
  big BYTES               write one line of BYTES 'x' characters
  wait ID [SECS]          wait for the response to request ID (JSON: 1, "a")
  note METHOD [SECS]      wait for a new notification METHOD from the server
  progress TEXT [SECS]    wait for a new progress notification whose
                          message contains TEXT
  sleep SECS              sleep
  exec COMMAND            run a bash command, print {"_exec": its stdout}
  signal NAME             send a signal (TERM, INT...) to the server
  close                   close the server's stdin

A wait that times out prints {"_timeout": STEP}. After the script the
server's stdin is closed and the driver waits (-t, default 30 s) for it to
exit, printing {"_exit": STATUS, "_secs": seconds since the stdin close or
the signal}; a server still running then is killed ({"_exit": "killed"}).
Lines starting with '#' and blank lines in the script are ignored.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

out_lock = threading.Lock()


def emit(obj_or_line):
    if not isinstance(obj_or_line, str):
        obj_or_line = json.dumps(obj_or_line, separators=(",", ":"))
    with out_lock:
        sys.stdout.write(obj_or_line + "\n")
        sys.stdout.flush()


class Inbox:
    """Messages from the server, kept for the wait steps."""

    def __init__(self, proc):
        self.cv = threading.Condition()
        self.msgs = []
        self.seen = 0       # messages already matched by note/progress
        self.eof = False
        self.thread = threading.Thread(target=self.pump, args=(proc,),
                                       daemon=True)
        self.thread.start()

    def pump(self, proc):
        for raw in proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            try:
                msg = json.loads(line)
            except ValueError:
                msg = None
            emit(line if msg is not None else {"_nonjson": line})
            with self.cv:
                self.msgs.append(msg)
                self.cv.notify_all()
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def wait_for(self, pred, secs, fresh):
        """Waits until a message satisfies pred; fresh: only messages after
        the last one matched by a fresh wait."""
        end = time.monotonic() + secs
        with self.cv:
            i = self.seen if fresh else 0
            while True:
                while i < len(self.msgs):
                    m = self.msgs[i]
                    i += 1
                    items = m if isinstance(m, list) else [m]
                    if any(isinstance(x, dict) and pred(x) for x in items):
                        if fresh:
                            self.seen = i
                        return True
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return False
                self.cv.wait(left)


def same_id(a, b):
    return type(a) is type(b) and a == b


def is_response(m, want):
    return "method" not in m and "id" in m and same_id(m["id"], want)


def split_secs(arg, default):
    """'X 5' -> ('X', 5.0); 'X' -> ('X', default)."""
    head, _, tail = arg.rpartition(" ")
    if head:
        try:
            return head, float(tail)
        except ValueError:
            pass
    return arg, default


def main():
    args = sys.argv[1:]
    limit = 30.0
    if len(args) >= 2 and args[0] == "-t":
        limit = float(args[1])
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    script = sys.stdin.read().splitlines()
    proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    inbox = Inbox(proc)
    t_end = None        # when stdin was closed or the signal sent

    def write(data):
        try:
            proc.stdin.write(data)
            proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            emit({"_write_failed": True})

    for step in script:
        if not step.strip() or step.lstrip().startswith("#"):
            continue
        verb, _, arg = step.strip().partition(" ")
        if verb == "send":
            write(arg.encode("utf-8") + b"\n")
        elif verb == "big":
            write(b"x" * int(arg) + b"\n")
        elif verb == "wait":
            idtext, secs = split_secs(arg, limit)
            want = json.loads(idtext)
            if not inbox.wait_for(lambda m: is_response(m, want), secs, False):
                emit({"_timeout": step})
        elif verb == "note":
            method, secs = split_secs(arg, limit)
            if not inbox.wait_for(lambda m: m.get("method") == method,
                                  secs, True):
                emit({"_timeout": step})
        elif verb == "progress":
            text, secs = split_secs(arg, limit)

            def pred(m, text=text):
                return (m.get("method") == "notifications/progress" and
                        text in str(m.get("params", {}).get("message")))
            if not inbox.wait_for(pred, secs, True):
                emit({"_timeout": step})
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "exec":
            r = subprocess.run(["bash", "-c", arg], stdout=subprocess.PIPE)
            emit({"_exec": r.stdout.decode("utf-8", errors="replace")})
        elif verb == "signal":
            proc.send_signal(getattr(signal, "SIG" + arg))
            t_end = time.monotonic()
        elif verb == "close":
            proc.stdin.close()
            t_end = time.monotonic()
        else:
            sys.exit("mcp_client.py: unknown step: " + step)
    if not proc.stdin.closed:
        proc.stdin.close()
        if t_end is None:
            t_end = time.monotonic()
    try:
        status = proc.wait(limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        status = "killed"
    secs = round(time.monotonic() - t_end, 2)
    inbox.thread.join(5)
    emit({"_exit": status, "_secs": secs})


if __name__ == "__main__":
    main()
