#!/usr/bin/env python3
"""One caller of InvokeWithResponseStream for scripts/bench-stream: raw HTTP/1.1 on a socket,
chunked decoding, event-stream frames by their prelude lengths (no CRC checks: this measures the
server, not the client). Prints one `STREAM` line per run.

The function streams a first chunk `STAMP <unix ns>\\n`, taken by the function just before
it writes that chunk, then `size` bytes. Per run:
  ttfb_ms           request sent -> the first payload byte at the caller
  stamp_to_client_ms the function's own first write -> that chunk at the caller (what the
                    server adds to the time to first byte; same clock, same machine)
  mbps              payload bytes / (request sent -> the end of the stream), in MB/s (10^6)
"""

import argparse
import json
import socket
import statistics
import time
from urllib.parse import urlparse


def parse_headers(block):
    headers, i = {}, 0
    while i < len(block):
        name_len = block[i]
        name = bytes(block[i + 1 : i + 1 + name_len]).decode()
        i += 1 + name_len
        kind = block[i]
        i += 1
        if kind in (0, 1):
            value = kind == 0
        elif kind == 2:
            value, i = block[i], i + 1
        elif kind == 3:
            value, i = int.from_bytes(block[i : i + 2], "big"), i + 2
        elif kind == 4:
            value, i = int.from_bytes(block[i : i + 4], "big"), i + 4
        elif kind in (5, 8):
            value, i = int.from_bytes(block[i : i + 8], "big"), i + 8
        elif kind in (6, 7):
            n = int.from_bytes(block[i : i + 2], "big")
            value = bytes(block[i + 2 : i + 2 + n])
            value = value.decode() if kind == 7 else value
            i += 2 + n
        elif kind == 9:
            value, i = bytes(block[i : i + 16]).hex(), i + 16
        else:
            raise ValueError(f"header type {kind}")
        headers[name] = value
    return headers


def run(url, path, size, timeout):
    target = urlparse(url)
    body = json.dumps({"size": size}).encode()
    sock = socket.create_connection((target.hostname, target.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {target.hostname}:{target.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    result = {"status": None, "bytes": 0, "chunks": 0, "complete": None, "message_types": set()}
    started = time.time_ns()
    sock.sendall(request)
    raw, frames = bytearray(), bytearray()
    head = None
    chunked, chunk_left, need_crlf, body_done = False, 0, False, False
    first_byte = stamp_at = stamp = None
    prefix = bytearray()
    while True:
        data = sock.recv(1 << 20)
        now = time.time_ns()
        if not data:
            break
        raw += data
        if head is None:
            end = raw.find(b"\r\n\r\n")
            if end < 0:
                continue
            head = raw[:end].decode("latin-1")
            del raw[: end + 4]
            lines = head.split("\r\n")
            result["status"] = int(lines[0].split(" ")[1])
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            result["content_type"] = headers.get("content-type")
            chunked = "chunked" in headers.get("transfer-encoding", "")
        # De-chunk what arrived into `frames`.
        if not chunked:
            frames += raw
            raw.clear()
        else:
            while not body_done:
                if chunk_left:
                    n = min(chunk_left, len(raw))
                    if not n:
                        break
                    frames += raw[:n]
                    del raw[:n]
                    chunk_left -= n
                    need_crlf = chunk_left == 0
                elif need_crlf:
                    if len(raw) < 2:
                        break
                    del raw[:2]
                    need_crlf = False
                else:
                    end = raw.find(b"\r\n")
                    if end < 0:
                        break
                    chunk_left = int(bytes(raw[:end]).split(b";")[0], 16)
                    del raw[: end + 2]
                    body_done = chunk_left == 0
        if result["status"] != 200:
            continue
        # Event-stream messages: total length, headers length, prelude CRC, headers, payload, CRC.
        while len(frames) >= 12:
            total = int.from_bytes(frames[0:4], "big")
            if len(frames) < total:
                break
            header_len = int.from_bytes(frames[4:8], "big")
            event_headers = parse_headers(frames[12 : 12 + header_len])
            payload = frames[12 + header_len : total - 4]
            del frames[:total]
            result["message_types"].add(event_headers.get(":message-type", "<none>"))
            event_type = event_headers.get(":event-type")
            if event_type == "PayloadChunk":
                if first_byte is None and payload:
                    first_byte = now
                result["bytes"] += len(payload)
                result["chunks"] += 1
                if stamp is None:
                    prefix += payload[:4096]
                    at = prefix.find(b"STAMP ")
                    if at >= 0 and prefix.find(b"\n", at) >= 0:
                        stamp = int(prefix[at + 6 : prefix.find(b"\n", at)])
                        stamp_at = now
            elif event_type == "InvokeComplete":
                result["complete"] = json.loads(bytes(payload) or b"{}")
        if body_done:
            break
    ended = time.time_ns()
    sock.close()
    if result["status"] != 200:
        result["error_body"] = bytes(frames[:300]).decode("utf-8", "replace")
    result["total_s"] = (ended - started) / 1e9
    result["ttfb_ms"] = (first_byte - started) / 1e6 if first_byte else None
    result["stamp_to_client_ms"] = (stamp_at - stamp) / 1e6 if stamp else None
    result["mbps"] = result["bytes"] / 1e6 / result["total_s"]
    result["message_types"] = sorted(result["message_types"])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--label", required=True)
    parser.add_argument("--timeout", type=float, default=60, help="seconds of silence per read")
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        try:
            results.append(run(args.url, args.path, args.size, args.timeout))
        except OSError as e:
            print(f"STREAM label={args.label} size={args.size} failed={type(e).__name__}: {e}")
            raise SystemExit(1)
    for r in results:
        print(
            f"STREAM label={args.label} size={args.size} status={r['status']} "
            f"bytes={r['bytes']} chunks={r['chunks']} total_s={r['total_s']:.3f} "
            f"mbps={r['mbps']:.1f} ttfb_ms={r['ttfb_ms']} "
            f"stamp_to_client_ms={r['stamp_to_client_ms']} "
            f"invoke_complete={json.dumps(r['complete'])} "
            f"message_types={','.join(r['message_types'])} "
            f"content_type={r.get('content_type')} error_body={json.dumps(r.get('error_body'))}"
        )
    if args.runs > 1:
        def med(key):
            values = [r[key] for r in results if r[key] is not None]
            return f"{statistics.median(values):.3f}" if values else "none"

        print(
            f"STREAM_MEDIAN label={args.label} size={args.size} runs={args.runs} "
            f"ttfb_ms={med('ttfb_ms')} stamp_to_client_ms={med('stamp_to_client_ms')} "
            f"mbps={med('mbps')}"
        )


if __name__ == "__main__":
    main()
