#!/usr/bin/env python3
"""mock_backend.py - a fake Ollama and Gemini server for the aurarouter tests.

Speaks the real wire formats (Ollama NDJSON /api/generate, Gemini
:generateContent and :streamGenerateContent?alt=sse) on 127.0.0.1 only.
The behaviour is chosen by the model name up to the first '.' or ':'
(so "slow.t3" and "ok:latest" are "slow" and "ok"); the full name keys
the counters of the "-once" behaviours; unknown names act as "ok".

  ok, ok-c, ok-sh, ok-js   a valid python / C / sh / JavaScript fenced block
  prose, bare, two-blocks  the code wrapped in prose; unfenced; sh + python
  syntax-error[-c]         a python (C) block that does not compile
  empty, short, refusal    "", a block holding "x", an apology
  truncated, repeat        unclosed fence + length/MAX_TOKENS; a looping line
  hang, hang-mid, slow     silence; 2 tokens then silence; a token every 0.5 s
  hang-end                 the whole answer with its end (Ollama done:true,
                           OpenAI finish_reason, usage and [DONE], Gemini
                           finishReason), then silence on the open
                           connection (a server that does not close)
  malformed, error-mid     a non-JSON line; an error line/object mid-stream
  cut, cut-hard            the stream ends without its end; the socket dies
  http-NNN, missing        that status with the real body; 404 model unknown
  huge                     a 100 MiB answer
  size-N                   a valid ```python block of exactly N bytes in all
                           (N >= 20), sent in 64 KiB chunks (answer limit)
  Gemini only: thought, blocked, rate-limit-once, unavailable-once,
  rate-limit-slow-once (429 with retryDelay 2.5s, then ok), retry-after-once
  (503 with a Retry-After: 2 header, then ok), reset-once (the connection
  closed without an answer, then ok),
  rate-limit-daily, retry-long (429 with a 3600 s delay)
  What real models and servers send:
  think                    Ollama: "thinking" chunks for THINK_S seconds
                           (every THINK_TICK_S, response "") before the
                           answer; "think": false in the request skips
                           them. A "think" request on any other model is
                           refused with 400 as Ollama does.
  think-inline             <think> holding a longer draft fenced block,
                           then the answer
  ctx-cut                  Ollama: prompt_eval_count is the num_ctx asked
                           for (the engine cut the prompt)
  safety-mid, recitation-mid  Gemini: half the answer, then finishReason
                           SAFETY / RECITATION
  index-order              Gemini: candidates listed index 1 (a refusal)
                           first, index 0 (the answer) second
  bom, cr                  Gemini SSE starting with a UTF-8 BOM; with bare
                           CR line endings
  bad-gateway-once         Gemini: 502 from the front end, then ok
  placeholder              a python block with "# ... rest of the code here"
  crlf-split               Gemini SSE: each event on two data: lines, every
                           CRLF cut between two writes after its CR
  unary-thought            Gemini: one whole (not SSE) response whose first
                           part is a thought
  Ollama only: fixable (a python syntax error, and valid code when the
  prompt is a repair: it holds the repair header of src/repair.h and the
  rejected code), fixable-check (valid python holding the line
  MARKER = "MARK_BAD", and clean code for a repair prompt holding it)
OpenAI-compatible server (vLLM / llama-server shapes): POST
[/PREFIX]/v1/chat/completions streams chat.completion.chunk events (a role
delta, content deltas, a finish_reason chunk, the usage chunk when
stream_options.include_usage, then "data: [DONE]"); GET [/PREFIX]/v1/models
lists every behaviour; GET [/PREFIX]/health is {"status":"ok"}. Any PREFIX
makes one more endpoint on the same port (the log's path tells them apart);
a PREFIX holding "loading" answers as llama-server loading a model (503
"Loading model" on /health and on completions); one holding "hang" never
answers completions; one holding "llama" lists models as llama-server
(no max_model_len) and answers GET /props with n_ctx 4096, one holding
"nosize" lists them so and has no /props, one holding "slowlist" stalls
GET /v1/models (then lists as vLLM). The behaviours above apply by
model name, with the
servers' own bodies: missing (404 vLLM NotFoundError), http-NNN
(llama-server's error shape), think (reasoning_content deltas), think-r
(vLLM/Ollama "reasoning" deltas), ctx-overflow (llama-server 400
exceed_context_size_error), ctx-overflow-vllm (vLLM's 400 wording),
error-mid (data: {"error":...} then [DONE]), cut (no [DONE]).
POST /mock/digest {"salt": S} changes the digest /api/tags reports for
every model (as a re-pulled model would).
A prompt holding "mock-delay-ms=N" is answered N ms late; one holding
"mock-model=NAME" is answered by Ollama as the model NAME would be (a bulk
run with one model and several behaviours).

usage: mock_backend.py --port-file PATH --log PATH [--port N]

Every request is logged, before it is answered, as one JSON line:
{"method","path","query","headers","body","raw","peer","t","proxied"}
A client that goes away while the mock is silent (the hang behaviours) is
logged in LOG.gone as one JSON line {"path","peer","t"} (t: when the mock
saw the connection close, seconds).
(peer: the client's port, to see connection reuse; t: the arrival time,
seconds; proxied: the request line held an absolute URL, as a client
sends it to a proxy; the mock then answers as the server named would).
Standard library only.
"""

import argparse
import hashlib
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OLLAMA_VERSION = "0.12.0"
STALL_S = 120.0
SLOW_TICK_S = 0.5
HUGE_CHUNK = 64 * 1024
HUGE_COUNT = 1600  # 1600 * 64 KiB = 100 MiB
THINK_S = 4.0
THINK_TICK_S = 0.1

# ---------------------------------------------------------------- answers

PY_CODE = (
    "def add(a, b):\n"
    "    \"\"\"Return the sum of a and b.\"\"\"\n"
    "    result = a + b\n"
    "    return result\n"
)
PY_LONG = (
    "def total(values):\n"
    "    \"\"\"Add up a list of numbers.\"\"\"\n"
    "    result = 0\n"
    "    for value in values:\n"
    "        result += value\n"
    "    return result\n"
    "\n"
    "\n"
    "if __name__ == \"__main__\":\n"
    "    print(total([1, 2, 3]))\n"
)
C_CODE = (
    "#include <stdio.h>\n"
    "\n"
    "int\n"
    "add(int a, int b)\n"
    "{\n"
    "\treturn a + b;\n"
    "}\n"
    "\n"
    "int\n"
    "main(void)\n"
    "{\n"
    "\tprintf(\"%d\\n\", add(2, 3));\n"
    "\treturn 0;\n"
    "}\n"
)
SH_CODE = (
    "greet() {\n"
    "\tprintf 'hello, %s\\n' \"$1\"\n"
    "}\n"
    "greet world\n"
)
JS_CODE = (
    "function add(a, b) {\n"
    "  return a + b;\n"
    "}\n"
    "console.log(add(2, 3));\n"
)


def fence(lang, code):
    return "```" + lang + "\n" + code + "```\n"


ANSWERS = {
    "ok": fence("python", PY_CODE),
    "ok-c": fence("c", C_CODE),
    "ok-sh": fence("sh", SH_CODE),
    "ok-js": fence("javascript", JS_CODE),
    "prose": ("Here is a small Python function that adds two numbers.\n\n"
              + fence("python", PY_CODE)
              + "\nIt returns the sum of its two arguments. "
                "Call it as add(2, 3).\n"),
    "bare": PY_CODE,
    "two-blocks": ("First create the output directory:\n\n"
                   + fence("sh", "mkdir -p out\n")
                   + "\nThen use this function:\n\n"
                   + fence("python", PY_LONG)),
    "syntax-error": fence("python", "def f(:\n    return 1\n"),
    "syntax-error-c": fence("c", "int\nf(void)\n{\n\treturn 1\n}\n"),
    "empty": "",
    "short": fence("python", "x\n"),
    "refusal": "I'm sorry, but I can't help with that request.",
    "truncated": "```python\ndef add(a, b):\n    \"\"\"Return the sum",
    "repeat": fence("python", "print('hello')\n" * 200),
    "placeholder": fence("python", "def add(a, b):\n"
                         "    \"\"\"Return the sum of a and b.\"\"\"\n"
                         "    # ... rest of the code here\n"
                         "    return a + b\n"),
    "think-inline": ("<think>\nThe user wants an add function. A first "
                     "draft:\n\n" + fence("python", PY_LONG)
                     + "\nThat is more than asked; keep it small.\n"
                     "</think>\n\n" + fence("python", PY_CODE)),
}
THINKING = ("Okay, the user wants a function that adds two numbers. "
            "I should keep it short and give it a docstring. ")
# Gemini's 502 comes from Google's front end, as an HTML page.
GFE_502 = ("<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
           "  <title>Error 502 (Server Error)!!1</title>\n"
           "  <p><b>502.</b> <ins>That\u2019s an error.</ins>\n"
           "  <p>The server encountered a temporary error and could not "
           "complete your request.<p>Please try again in 30 seconds.  "
           "<ins>That\u2019s all we know.</ins>\n")
# The repair prompt's header (src/repair.h, REPAIR_HEADER).
REPAIR_HEADER = "The code below was rejected for these reasons:"
FIXABLE = {
    "fixable": "def f(:\n    return 1\n",
    "fixable-check": PY_CODE + "MARKER = \"MARK_BAD\"\n",
}
DIGEST = {"salt": ""}


def answer_of(beh, prompt):
    """The answer text of a behaviour, for the prompt it was asked."""
    if beh in FIXABLE:
        bad = FIXABLE[beh]
        if REPAIR_HEADER in prompt and bad in prompt:
            return ANSWERS["ok"]
        return fence("python", bad)
    return ANSWERS.get(beh, ANSWERS["ok"])


THOUGHT = ("**Planning the function**\n\nThe user wants a function; "
           "I will write a small add function in Python.")

# every behaviour name, for /api/tags
BEHAVIOURS = [
    "ok", "ok-c", "ok-sh", "ok-js", "prose", "bare", "two-blocks",
    "syntax-error", "syntax-error-c", "empty", "short", "refusal",
    "truncated", "repeat", "hang", "hang-mid", "hang-end", "slow", "malformed",
    "error-mid", "cut", "cut-hard", "http-400", "http-429", "http-500",
    "http-503",
    "huge", "thought", "blocked", "rate-limit-once", "unavailable-once",
    "rate-limit-slow-once", "retry-after-once", "reset-once",
    "rate-limit-daily", "retry-long", "partial",
    "think", "think-inline", "ctx-cut", "safety-mid", "recitation-mid",
    "index-order", "bom", "cr", "bad-gateway-once", "placeholder",
    "unary-thought", "crlf-split", "fixable", "fixable-check", "deep",
    "think-r", "ctx-overflow", "ctx-overflow-vllm",
]
# Ollama models that think (the others refuse a "think" request).
THINKING_MODELS = ("think", "think-inline")
# "deep": Ollama streams one NDJSON line nested DEEP_LEVELS deep; Gemini
# answers 200 with 64 KiB of raw "[" lines (a multi-line body that never
# completes).
DEEP_LEVELS = 750000

TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s]+)|\s+")


def tokens_of(text):
    return TOKEN_RE.findall(text)


def behaviour_of(model):
    return re.split(r"[.:]", model or "", maxsplit=1)[0]


def now_rfc3339():
    t = time.time()
    ns = int((t - int(t)) * 1e9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % ns


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sized_answer(n):
    """A ```python block of exactly n bytes (n >= 20): a statement, then
    comment lines of 64 bytes, then one shorter line for the rest."""
    head, code, tail = "```python\n", "x = 1\n", "```\n"
    rest = max(0, n - len(head) - len(code) - len(tail))
    line = "# " + "a" * 61 + "\n"
    body = line * (rest // len(line))
    r = rest % len(line)
    body += "\n" if r == 1 else ("#" + "a" * (r - 2) + "\n" if r else "")
    return head + code + body + tail


def size_of(beh):
    """N for a "size-N" behaviour, else None."""
    m = re.fullmatch(r"size-(\d+)", beh)
    return int(m.group(1)) if m else None


def pieces_of(text):
    return [text[i:i + HUGE_CHUNK] for i in range(0, len(text), HUGE_CHUNK)]


def huge_chunk():
    line = "# " + "a" * 61 + "\n"  # 64 bytes
    return line * (HUGE_CHUNK // len(line))


# ------------------------------------------------------------ error bodies

GEMINI_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED",
          "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    408: ("DEADLINE_EXCEEDED", "Request timed out."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "An internal error has occurred. Please retry or report in "
          "https://developers.generativeai.google/guide/troubleshooting"),
    502: ("UNAVAILABLE", "Bad gateway."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "The request timed out. Please try again."),
}

OLLAMA_STATUS = {
    400: "invalid options: unknown option \"bogus\"",
    500: "llama runner process has terminated: exit status 2",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


def gemini_error(code, message=None, status=None, details=None):
    st, msg = GEMINI_STATUS.get(code, ("UNKNOWN", "Unknown error."))
    err = {"code": code, "message": message or msg, "status": status or st}
    if details:
        err["details"] = details
    return {"error": err}


def gemini_quota_error(model, quota_id, delay, metric, limit):
    msg = ("You exceeded your current quota, please check your plan and "
           "billing details. For more information on this error, head to: "
           "https://ai.google.dev/gemini-api/docs/rate-limits. To monitor "
           "your current usage, head to: https://ai.dev/usage?tab=rate-limit. "
           "\n* Quota exceeded for metric: %s, limit: %s, model: %s\n"
           "Please retry in %s." % (metric, limit, model, delay))
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [{
             "quotaMetric": metric,
             "quotaId": quota_id,
             "quotaDimensions": {"location": "global", "model": model},
             "quotaValue": str(limit)}]},
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo",
         "retryDelay": delay},
    ]
    return gemini_error(429, msg, "RESOURCE_EXHAUSTED", details)


GEMINI_BAD_KEY = gemini_error(
    400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
    [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
      "reason": "API_KEY_INVALID",
      "domain": "googleapis.com",
      "metadata": {"service": "generativelanguage.googleapis.com"}},
     {"@type": "type.googleapis.com/google.rpc.LocalizedMessage",
      "locale": "en-US",
      "message": "API key not valid. Please pass a valid API key."}])

GEMINI_NO_KEY = gemini_error(
    403, "Method doesn't allow unregistered callers (callers without "
    "established identity). Please use API Key or other form of API "
    "consumer identity to call this API.", "PERMISSION_DENIED")


# ------------------------------------------------------------------ server

class Stall(Exception):
    """The client went away while we stalled."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-backend/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        # As Go servers (Ollama) and Google's front ends do: without it,
        # Nagle's algorithm and delayed ACKs hold each small chunk ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, socket.timeout, Stall, OSError):
            self.close_connection = True

    # -- request plumbing

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            data = b""
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(n)
                self.rfile.readline()
            return data
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def begin(self):
        u = urllib.parse.urlsplit(self.path)
        self.req_path = u.path
        self.req_query = u.query
        self.raw = self.read_body() if self.command in ("POST", "PUT") else b""
        text = self.raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        self.body = body
        entry = {
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
            "raw": text,
            "peer": self.client_address[1],
            "t": round(time.time(), 3),
            "proxied": bool(re.match(r"https?://", self.path)),
        }
        self.server.log_request_entry(entry)
        # A prompt holding "mock-delay-ms=N" is answered N ms late (at
        # most 30 s), whatever the behaviour: tests of ordering use it.
        m = re.search(r"mock-delay-ms=(\d+)", text)
        if m:
            time.sleep(min(int(m.group(1)), 30000) / 1000.0)

    def do_GET(self):
        self.begin()
        self.route()

    def do_HEAD(self):
        self.begin()
        self.route()

    def do_POST(self):
        self.begin()
        self.route()

    def do_PUT(self):
        self.begin()
        self.route()

    def do_DELETE(self):
        self.begin()
        self.route()

    # -- output helpers

    def send_body(self, status, ctype, data, extra=None):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, obj, pretty=False, ctype="application/json; charset=utf-8"):
        text = json.dumps(obj, indent=2) + "\n" if pretty else dumps(obj)
        self.send_body(status, ctype, text)

    def start_chunked(self, ctype, status=200):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")

    def hard_close(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stall(self, seconds=STALL_S):
        """Wait SECONDS; raise Stall when the client disconnects first."""
        end = time.monotonic() + seconds
        sock = self.connection
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([sock], [], [], min(left, 0.5))
            if r:
                try:
                    data = sock.recv(4096)
                except OSError:
                    raise Stall()
                if not data:
                    self.server.log_gone({"path": self.req_path,
                                          "peer": self.client_address[1],
                                          "t": round(time.time(), 3)})
                    raise Stall()

    def not_found(self):
        self.send_body(404, "text/plain", "404 page not found")

    # -- routing

    def route(self):
        p = re.sub(r"/+", "/", self.req_path)
        m = re.search(r"/v1beta/models/([^/]+?):(streamGenerateContent|generateContent)$",
                      urllib.parse.unquote(p))
        if m:
            if self.command != "POST":
                return self.send_json(404, gemini_error(404), pretty=True)
            return self.gemini(m.group(1), m.group(2) == "streamGenerateContent")
        if self.command in ("GET", "HEAD"):
            if p == "/":
                return self.send_body(200, "text/plain; charset=utf-8", "Ollama is running")
            if p == "/api/version":
                return self.send_json(200, {"version": OLLAMA_VERSION})
            if p == "/api/tags":
                return self.send_json(200, self.tags())
            if p == "/api/ps":
                return self.send_json(200, self.ps())
        m = re.fullmatch(r"(/.*?)?/v1/chat/completions", p)
        if m and self.command == "POST":
            return self.openai_chat(m.group(1) or "")
        m = re.fullmatch(r"(/.*?)?/(?:v1/models|health)", p)
        if m and self.command == "GET":
            return self.openai_get(m.group(1) or "", p.endswith("/health"))
        m = re.fullmatch(r"(/.*?llama.*?)/props", p)
        if m and self.command == "GET":
            return self.send_json(200, {"default_generation_settings": {"n_ctx": 4096},
                                        "total_slots": 1})
        if self.command == "POST" and p == "/api/generate":
            return self.ollama_generate()
        if self.command == "POST" and p == "/mock/digest":
            DIGEST["salt"] = str((self.body or {}).get("salt", ""))
            return self.send_json(200, DIGEST)
        return self.not_found()

    # -- Ollama

    @staticmethod
    def model_entry(name, size):
        return {
            "name": name, "model": name,
            "modified_at": "2025-09-01T10:00:00.000000000Z",
            "size": size,
            "digest": hashlib.sha256((DIGEST["salt"] + name).encode()).hexdigest(),
            "details": {"parent_model": "", "format": "gguf", "family": "llama",
                        "families": ["llama"], "parameter_size": "7B",
                        "quantization_level": "Q4_0"},
        }

    def tags(self):
        return {"models": [self.model_entry(b + ":latest", 4109865159)
                           for b in BEHAVIOURS]}

    def ps(self):
        exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 300))
        out = []
        for name, size, vram in (("ok:latest", 5137025024, 5137025024),
                                 ("partial:latest", 8000000000, 4000000000)):
            e = self.model_entry(name, size)
            del e["modified_at"]
            e.update({"expires_at": exp, "size_vram": vram, "context_length": 4096})
            out.append(e)
        return {"models": out}

    def ollama_error(self, status, msg):
        self.send_json(status, {"error": msg})

    def ollama_generate(self):
        if not self.raw:
            return self.ollama_error(400, "missing request body")
        body = self.body
        if not isinstance(body, dict):
            return self.ollama_error(400, "invalid character looking for beginning of value")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self.ollama_error(400, "model is required")
        stream = body.get("stream", True) is not False
        prompt = body.get("prompt") or ""
        beh = behaviour_of(model)
        m = re.search(r"mock-model=([\w-]+)", prompt)
        if m:
            beh = m.group(1)
        ptoks = max(1, (len(prompt) + len(body.get("system") or "")) // 4)

        if beh == "missing":
            return self.ollama_error(404, "model '%s' not found" % model)
        m = re.fullmatch(r"http-(\d{3})", beh)
        if m:
            code = int(m.group(1))
            return self.ollama_error(code, OLLAMA_STATUS.get(code, "error %d" % code))
        if beh == "hang":
            self.stall()
            return self.hard_close()
        think = body.get("think")
        if think not in (None, False) and beh not in THINKING_MODELS:
            return self.ollama_error(400, '"%s" does not support thinking' % model)
        if not prompt:
            return self.send_json(200, {
                "model": model, "created_at": now_rfc3339(), "response": "",
                "done": True, "done_reason": "load"})

        def line(resp):
            return dumps({"model": model, "created_at": now_rfc3339(),
                          "response": resp, "done": False}) + "\n"

        opts = body.get("options") if isinstance(body.get("options"), dict) else {}
        if beh == "ctx-cut":
            ptoks = opts.get("num_ctx") or 4096

        def final(ntok, reason="stop", resp=""):
            ntok = max(1, ntok)
            return dumps({
                "model": model, "created_at": now_rfc3339(), "response": resp,
                "done": True, "done_reason": reason,
                "context": [128000, 882, 271, 1 + ntok],
                "total_duration": 5000000 + ptoks * 1000000 + ntok * 20000000 + 300000,
                "load_duration": 5000000,
                "prompt_eval_count": ptoks,
                "prompt_eval_duration": ptoks * 1000000,
                "eval_count": ntok,
                "eval_duration": ntok * 20000000}) + "\n"

        if beh == "deep":
            self.start_chunked("application/x-ndjson")
            self.chunk('{"model":"deep","response":"x","done":false,"d":%s%s}\n'
                       % ("[" * DEEP_LEVELS, "]" * DEEP_LEVELS))
            return self.end_chunked()
        if beh == "huge":
            return self.ollama_huge(model, stream, line, final)
        if size_of(beh) is not None:
            return self.ollama_sized(size_of(beh), stream, line, final)
        text = answer_of(beh, prompt)
        toks = tokens_of(text)
        reason = "length" if beh == "truncated" else "stop"

        if not stream:
            if beh in ("hang-mid", "slow"):
                self.stall()
                if beh == "hang-mid":
                    return self.hard_close()
            if beh == "malformed":
                return self.send_body(200, "application/json; charset=utf-8",
                                      '{"model":"%s","response":"```python\\ndef' % model)
            if beh == "error-mid":
                return self.ollama_error(500, "an error was encountered while running the model: unexpected EOF")
            if beh in ("cut", "cut-hard"):
                return self.send_partial(final(len(toks), reason, text))
            return self.send_body(200, "application/json; charset=utf-8",
                                  final(len(toks), reason, text).rstrip("\n"))

        self.start_chunked("application/x-ndjson")
        if beh == "think" and think is not False:
            end = time.monotonic() + THINK_S
            n = 0
            while time.monotonic() < end:
                t = tokens_of(THINKING)
                self.chunk(dumps({"model": model, "created_at": now_rfc3339(),
                                  "response": "", "thinking": t[n % len(t)],
                                  "done": False}) + "\n")
                n += 1
                self.stall(THINK_TICK_S)
            toks_total = len(toks) + n
            for t in toks:
                self.chunk(line(t))
            self.chunk(final(toks_total, reason))
            return self.end_chunked()
        if beh == "hang-mid":
            for t in toks[:2]:
                self.chunk(line(t))
            self.stall()
            return self.hard_close()
        if beh == "hang-end":
            for t in toks:
                self.chunk(line(t))
            self.chunk(final(len(toks), reason))
            self.wfile.flush()
            self.stall()
            return self.end_chunked()
        if beh == "slow":
            n = 0
            end = time.monotonic() + STALL_S
            while time.monotonic() < end:
                self.chunk(line(toks[n % len(toks)]))
                n += 1
                self.stall(SLOW_TICK_S)
            self.chunk(final(n))
            return self.end_chunked()
        if beh == "malformed":
            self.chunk(line(toks[0]))
            self.chunk('{"model":"%s","created_at":"%s","response":"def\n' % (model, now_rfc3339()))
            self.chunk(final(2))
            return self.end_chunked()
        if beh == "error-mid":
            for t in toks[:4]:
                self.chunk(line(t))
            self.chunk(dumps({"error": "an error was encountered while running the model: unexpected EOF"}) + "\n")
            return self.end_chunked()
        if beh == "cut":
            for t in toks[:4]:
                self.chunk(line(t))
            self.end_chunked()
            return self.hard_close()
        if beh == "cut-hard":
            for t in toks[:4]:
                self.chunk(line(t))
            self.wfile.write(b"40\r\n{\"model\"")
            return self.hard_close()
        for t in toks:
            self.chunk(line(t))
        self.chunk(final(len(toks), reason))
        self.end_chunked()

    # -- OpenAI-compatible servers

    def openai_error(self, status, message, etype, extra=None):
        err = {"code": status, "message": message, "type": etype}
        err.update(extra or {})
        self.send_json(status, {"error": err})

    def openai_get(self, prefix, health):
        if "slowlist" in prefix and not health:
            self.stall()
        if health:
            if "loading" in prefix:
                return self.openai_error(503, "Loading model", "unavailable_error")
            return self.send_json(200, {"status": "ok"})
        if "llama" in prefix or "nosize" in prefix:
            return self.send_json(200, {"object": "list", "data": [
                {"id": b, "object": "model", "created": 1735689600,
                 "owned_by": "llamacpp", "meta": None} for b in BEHAVIOURS]})
        return self.send_json(200, {"object": "list", "data": [
            {"id": b, "object": "model", "created": 1735689600,
             "owned_by": "vllm", "root": b, "max_model_len": 8192}
            for b in BEHAVIOURS]})

    def openai_chat(self, prefix):
        body = self.body if isinstance(self.body, dict) else None
        if body is None:
            return self.openai_error(400, "Invalid JSON body", "invalid_request_error")
        if "loading" in prefix:
            return self.openai_error(503, "Loading model", "unavailable_error")
        if "hang" in prefix:
            self.stall()
            return self.hard_close()
        model = body.get("model") or ""
        beh = behaviour_of(model)
        msgs = body.get("messages") or []
        prompt = "".join(m.get("content") or "" for m in msgs
                         if isinstance(m, dict) and isinstance(m.get("content"), str))
        ptoks = max(1, len(prompt) // 4)
        if beh == "missing":
            return self.send_json(404, {"error": {
                "message": "The model `%s` does not exist." % model,
                "type": "NotFoundError", "param": "model", "code": 404}})
        if beh == "ctx-overflow":
            return self.openai_error(400, "request (%d tokens) exceeds the available "
                                     "context size (4096 tokens), try increasing it" % (ptoks + 5000),
                                     "exceed_context_size_error",
                                     {"n_prompt_tokens": ptoks + 5000, "n_ctx": 4096})
        if beh == "ctx-overflow-vllm":
            return self.send_json(400, {"error": {
                "message": "This model's maximum context length is 8192 tokens. However, "
                           "you requested 1024 output tokens and your prompt contains at "
                           "least 9000 input tokens, for a total of at least 10024 tokens. "
                           "Please reduce the length of the input prompt or the number of "
                           "requested output tokens.",
                "type": "BadRequestError", "param": "input_tokens", "code": 400}})
        m = re.fullmatch(r"http-(\d{3})", beh)
        if m:
            code = int(m.group(1))
            etype = {400: "invalid_request_error", 401: "authentication_error",
                     429: "rate_limit_error", 503: "unavailable_error"}.get(
                         code, "server_error" if code >= 500 else "invalid_request_error")
            return self.openai_error(code, OLLAMA_STATUS.get(code, "error %d" % code), etype)
        if beh == "hang":
            self.stall()
            return self.hard_close()
        if body.get("stream") is not True:
            text = answer_of(beh, prompt)
            return self.send_json(200, {
                "id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "message": {
                    "role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": ptoks, "completion_tokens": len(tokens_of(text)),
                          "total_tokens": ptoks + len(tokens_of(text))}})
        usage = (body.get("stream_options") or {}).get("include_usage") is True
        text = answer_of(beh, prompt)
        toks = tokens_of(text)
        created = int(time.time())

        def chunk(delta, finish=None):
            return "data: " + dumps({
                "id": "chatcmpl-mock", "object": "chat.completion.chunk",
                "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                "usage": None}) + "\n\n"

        self.start_chunked("text/event-stream")
        self.chunk(chunk({"role": "assistant", "content": ""}))
        nthink = 0
        if beh in ("think", "think-r"):
            key = "reasoning_content" if beh == "think" else "reasoning"
            end = time.monotonic() + THINK_S
            t = tokens_of(THINKING)
            while time.monotonic() < end:
                self.chunk(chunk({key: t[nthink % len(t)]}))
                nthink += 1
                self.stall(THINK_TICK_S)
        if beh == "hang-mid":
            for t in toks[:2]:
                self.chunk(chunk({"content": t}))
            self.stall()
            return self.hard_close()
        if beh == "slow":
            n = 0
            end = time.monotonic() + STALL_S
            while time.monotonic() < end:
                self.chunk(chunk({"content": toks[n % len(toks)]}))
                n += 1
                self.stall(SLOW_TICK_S)
            return self.end_chunked()
        if beh == "malformed":
            self.chunk(chunk({"content": toks[0]}))
            self.chunk('data: {"id":"chatcmpl-mock","choices":[{"delta":{"content":"def\n\n')
            return self.end_chunked()
        if beh == "error-mid":
            for t in toks[:4]:
                self.chunk(chunk({"content": t}))
            self.chunk("data: " + dumps({"error": {
                "message": "an error was encountered while running the model",
                "type": "server_error", "code": 500}}) + "\n\n")
            self.chunk("data: [DONE]\n\n")
            return self.end_chunked()
        if beh in ("cut", "cut-hard"):
            for t in toks[:4]:
                self.chunk(chunk({"content": t}))
            if beh == "cut":
                self.end_chunked()
            return self.hard_close()
        self.chunk(": ping\n\n")
        for t in toks:
            self.chunk(chunk({"content": t}))
        self.chunk(chunk({}, "length" if beh == "truncated" else "stop"))
        if usage:
            u = {"prompt_tokens": ptoks, "completion_tokens": len(toks) + nthink,
                 "total_tokens": ptoks + len(toks) + nthink}
            if nthink:
                u["completion_tokens_details"] = {"reasoning_tokens": nthink}
            self.chunk("data: " + dumps({
                "id": "chatcmpl-mock", "object": "chat.completion.chunk",
                "created": created, "model": model, "choices": [],
                "usage": u}) + "\n\n")
        self.chunk("data: [DONE]\n\n")
        if beh == "hang-end":
            self.wfile.flush()
            self.stall()
        self.end_chunked()

    def ollama_huge(self, model, stream, line, final):
        piece = huge_chunk()
        if stream:
            self.start_chunked("application/x-ndjson")
            data = line(piece).encode("utf-8")
            for _ in range(HUGE_COUNT):
                self.chunk(data)
            self.chunk(final(HUGE_COUNT))
            return self.end_chunked()
        whole = final(HUGE_COUNT, "stop", "\x00").rstrip("\n")
        head, tail = whole.split(dumps("\x00")[1:-1], 1)
        self.send_stream_body("application/json; charset=utf-8", head,
                              dumps(piece)[1:-1], tail)

    def ollama_sized(self, n, stream, line, final):
        text = sized_answer(n)
        if not stream:
            return self.send_body(200, "application/json; charset=utf-8",
                                  final(1, "stop", text).rstrip("\n"))
        self.start_chunked("application/x-ndjson")
        pieces = pieces_of(text)
        for p in pieces:
            self.chunk(line(p))
        self.chunk(final(len(pieces)))
        self.end_chunked()

    def send_stream_body(self, ctype, head, piece, tail):
        head, piece, tail = (s.encode("utf-8") for s in (head, piece, tail))
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length",
                         str(len(head) + len(piece) * HUGE_COUNT + len(tail)))
        self.end_headers()
        self.wfile.write(head)
        for _ in range(HUGE_COUNT):
            self.wfile.write(piece)
        self.wfile.write(tail)

    def send_partial(self, text, ctype="application/json; charset=utf-8"):
        data = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.hard_close()

    # -- Gemini

    def gemini(self, model, streaming):
        sse = streaming and "alt=sse" in self.req_query.split("&")
        key = self.headers.get("x-goog-api-key")
        if not key:
            return self.send_json(403, GEMINI_NO_KEY, pretty=True)
        if key == "bad-key":
            return self.send_json(400, GEMINI_BAD_KEY, pretty=True)
        if not self.raw:
            return self.send_json(400, gemini_error(
                400, "Request contains an invalid argument."), pretty=True)
        if not isinstance(self.body, dict):
            return self.send_json(400, gemini_error(
                400, "Invalid JSON payload received. Unexpected token."), pretty=True)
        beh = behaviour_of(model)
        if beh in ("rate-limit-once", "unavailable-once", "rate-limit-slow-once",
                   "retry-after-once", "reset-once", "bad-gateway-once"):
            if self.server.count(model) == 1:
                if beh == "bad-gateway-once":
                    return self.send_body(502, "text/html; charset=UTF-8", GFE_502)
                if beh in ("rate-limit-once", "rate-limit-slow-once"):
                    return self.send_json(429, gemini_quota_error(
                        model, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                        "1s" if beh == "rate-limit-once" else "2.5s",
                        "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                        10), pretty=True)
                if beh == "retry-after-once":
                    body = json.dumps(gemini_error(503), indent=2) + "\n"
                    return self.send_body(503, "application/json; charset=utf-8",
                                          body, {"Retry-After": "2"})
                if beh == "reset-once":
                    return self.hard_close()
                return self.send_json(503, gemini_error(503), pretty=True)
            beh = "ok"
        if beh == "rate-limit-daily":
            return self.send_json(429, gemini_quota_error(
                model, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "1s",
                "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                250), pretty=True)
        if beh == "retry-long":
            return self.send_json(429, gemini_quota_error(
                model, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "3600s",
                "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                10), pretty=True)
        if beh == "missing":
            return self.send_json(404, gemini_error(
                404, "models/%s is not found for API version v1beta, or is not "
                "supported for generateContent. Call ListModels to see the list "
                "of supported models and their supported methods." % model), pretty=True)
        m = re.fullmatch(r"http-(\d{3})", beh)
        if m:
            return self.send_json(int(m.group(1)), gemini_error(int(m.group(1))), pretty=True)
        if beh == "hang":
            self.stall()
            return self.hard_close()
        if beh == "deep":
            self.start_chunked("text/event-stream")
            for _ in range(16):
                self.chunk("[\n" * 2048)
            return self.end_chunked()

        ptoks = max(1, len(self.prompt_text()) // 4)
        rid = hashlib.md5(("%s%f" % (model, time.time())).encode()).hexdigest()[:22]
        thoughts = 12 if beh in ("thought", "unary-thought") else 0

        def resp(parts, finish=None, ctoks=None, candidates=True, extra=None):
            usage = {"promptTokenCount": ptoks}
            if ctoks is not None:
                if ctoks:
                    usage["candidatesTokenCount"] = ctoks
                if thoughts:
                    usage["thoughtsTokenCount"] = thoughts
                usage["totalTokenCount"] = ptoks + ctoks + thoughts
                usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": ptoks}]
            else:
                usage["totalTokenCount"] = ptoks
            r = {}
            if candidates:
                c = {"content": {"parts": parts, "role": "model"}}
                if finish:
                    c["finishReason"] = finish
                c["index"] = 0
                r["candidates"] = [c]
                if beh == "index-order":
                    other = {"content": {"parts": [{"text": "I'm sorry, I can't. "}],
                                         "role": "model"}, "index": 1}
                    if finish:
                        other["finishReason"] = "STOP"
                    r["candidates"] = [other, c]
            r["usageMetadata"] = usage
            r["modelVersion"] = model
            r["responseId"] = rid
            return r

        def event(obj):
            return "data: " + dumps(obj) + "\r\n\r\n"

        if beh == "blocked":
            r = resp(None, candidates=False)
            r["promptFeedback"] = {"blockReason": "SAFETY", "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH",
                 "blocked": True}]}
            if sse:
                self.start_chunked("text/event-stream")
                self.chunk(event(r))
                return self.end_chunked()
            return self.send_json(200, [r] if streaming else r, pretty=True)
        if beh == "unary-thought":
            # A gateway that ignores alt=sse: one whole generateContent
            # response, a thought part first.
            text = ANSWERS["ok"]
            return self.send_json(200, resp([{"text": THOUGHT, "thought": True},
                                             {"text": text}], "STOP",
                                            len(tokens_of(text))), pretty=True)
        if beh == "huge":
            return self.gemini_huge(sse, streaming, resp, event)
        if size_of(beh) is not None:
            return self.gemini_sized(size_of(beh), sse, streaming, resp, event)

        text = ANSWERS.get(beh, ANSWERS["ok"])
        toks = tokens_of(text)
        finish = "MAX_TOKENS" if beh == "truncated" else "STOP"
        stop_mid = {"safety-mid": "SAFETY", "recitation-mid": "RECITATION"}.get(beh)

        def events():
            """The stream as a list of GenerateContentResponse objects."""
            out = []
            if beh == "thought":
                out.append(resp([{"text": THOUGHT, "thought": True}]))
            if stop_mid:
                half = toks[:len(toks) // 2]
                out.extend(resp([{"text": t}]) for t in half)
                last = resp([{"text": ""}], stop_mid, len(half))
                if stop_mid == "SAFETY":
                    last["candidates"][0]["safetyRatings"] = [
                        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                         "probability": "HIGH", "blocked": True}]
                else:
                    last["candidates"][0]["citationMetadata"] = {
                        "citationSources": [{"startIndex": 0, "endIndex": 40,
                                             "uri": "https://github.com/example/add"}]}
                out.append(last)
                return out
            if not toks:
                out.append(resp([{"text": ""}], finish, 0))
                return out
            for i, t in enumerate(toks):
                if i == len(toks) - 1:
                    out.append(resp([{"text": t}], finish, len(toks)))
                else:
                    out.append(resp([{"text": t}]))
            return out

        if not sse:
            if beh in ("hang-mid", "slow"):
                self.stall()
                if beh == "hang-mid":
                    return self.hard_close()
            if beh == "malformed":
                return self.send_body(200, "application/json; charset=UTF-8",
                                      '{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "text": "```py')
            if beh == "error-mid":
                return self.send_json(500, gemini_error(500), pretty=True)
            parts = []
            if beh == "thought":
                parts.append({"text": THOUGHT, "thought": True})
            parts.append({"text": text})
            whole = events() if streaming else resp(parts, finish, len(toks))
            if beh in ("cut", "cut-hard"):
                return self.send_partial(json.dumps(whole, indent=2))
            return self.send_json(200, whole, pretty=True,
                                  ctype="application/json; charset=UTF-8")

        self.start_chunked("text/event-stream")
        if beh == "hang-mid":
            for t in toks[:2]:
                self.chunk(event(resp([{"text": t}])))
            self.stall()
            return self.hard_close()
        if beh == "slow":
            n = 0
            end = time.monotonic() + STALL_S
            while time.monotonic() < end:
                self.chunk(event(resp([{"text": toks[n % len(toks)]}])))
                n += 1
                self.stall(SLOW_TICK_S)
            self.chunk(event(resp([{"text": ""}], "STOP", n)))
            return self.end_chunked()
        if beh == "malformed":
            self.chunk(event(resp([{"text": toks[0]}])))
            self.chunk('data: {"candidates": [{"content": {"parts": [{"text": "def\r\n\r\n')
            self.chunk(event(resp([{"text": toks[1]}], "STOP", 2)))
            return self.end_chunked()
        if beh == "error-mid":
            for t in toks[:4]:
                self.chunk(event(resp([{"text": t}])))
            self.chunk(json.dumps(gemini_error(500), indent=2) + "\n")
            return self.end_chunked()
        if beh == "cut":
            for t in toks[:4]:
                self.chunk(event(resp([{"text": t}])))
            self.end_chunked()
            return self.hard_close()
        if beh == "cut-hard":
            for t in toks[:4]:
                self.chunk(event(resp([{"text": t}])))
            self.wfile.write(b"40\r\ndata: {\"cand")
            return self.hard_close()
        if beh == "bom":
            self.chunk("\ufeff")
        if beh == "crlf-split":
            # Each event's JSON over two data: lines, every CRLF cut
            # between two TCP writes after its CR.
            for ev in events():
                body = dumps(ev)
                cut = body.index(',"usageMetadata"') + 1
                data = ("data: " + body[:cut] + "\r\ndata: " + body[cut:]
                        + "\r\n\r\n")
                for part in re.split(r"(?<=\r)(?=\n)", data):
                    self.chunk(part)
                    self.wfile.flush()
                    time.sleep(0.01)
            return self.end_chunked()
        for ev in events():
            data = event(ev)
            if beh == "cr":
                data = data.replace("\r\n", "\r")
            self.chunk(data)
        if beh == "hang-end":
            self.wfile.flush()
            self.stall()
        self.end_chunked()

    def gemini_huge(self, sse, streaming, resp, event):
        piece = huge_chunk()
        if sse:
            self.start_chunked("text/event-stream")
            data = event(resp([{"text": piece}])).encode("utf-8")
            for _ in range(HUGE_COUNT):
                self.chunk(data)
            self.chunk(event(resp([{"text": ""}], "STOP", HUGE_COUNT * 16384)))
            return self.end_chunked()
        whole = resp([{"text": "\x00"}], "STOP", HUGE_COUNT * 16384)
        if streaming:
            whole = [whole]
        head, tail = dumps(whole).split(dumps("\x00")[1:-1], 1)
        self.send_stream_body("application/json; charset=UTF-8", head,
                              dumps(piece)[1:-1], tail)

    def gemini_sized(self, n, sse, streaming, resp, event):
        pieces = pieces_of(sized_answer(n))
        evs = [resp([{"text": p}]) for p in pieces[:-1]]
        evs.append(resp([{"text": pieces[-1]}], "STOP", len(pieces)))
        if not sse:
            whole = evs if streaming else resp([{"text": sized_answer(n)}],
                                               "STOP", len(pieces))
            return self.send_json(200, whole,
                                  ctype="application/json; charset=UTF-8")
        self.start_chunked("text/event-stream")
        for ev in evs:
            self.chunk(event(ev))
        self.end_chunked()

    def prompt_text(self):
        out = []

        def walk(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if k == "text" and isinstance(x, str):
                        out.append(x)
                    else:
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(self.body.get("contents"))
        walk(self.body.get("systemInstruction"))
        return "".join(out)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, log_path):
        super().__init__(addr, Handler)
        self.log_lock = threading.Lock()
        self.log_path = log_path
        self.log_fp = open(log_path, "a", encoding="utf-8")
        self.count_lock = threading.Lock()
        self.counts = {}

    def log_gone(self, entry):
        line = json.dumps(entry, separators=(",", ":"))
        with self.log_lock:
            with open(self.log_path + ".gone", "a", encoding="utf-8") as f:
                f.write(line + "\n")

    def log_request_entry(self, entry):
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        with self.log_lock:
            self.log_fp.write(line + "\n")
            self.log_fp.flush()

    def count(self, model):
        with self.count_lock:
            self.counts[model] = self.counts.get(model, 0) + 1
            return self.counts[model]

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser(description="mock Ollama/Gemini backend")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()

    def bye(signum, frame):
        os._exit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)

    srv = Server(("127.0.0.1", a.port), a.log)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
