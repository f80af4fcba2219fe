#!/usr/bin/python3
"""conn_churn.py HOST N PARALLEL DEADLINE_S

N TCP connections to HOST, at most PARALLEL open at a time, each one of
the test services of usock-testsrv in turn:
  port 7 (echo)       sends 1000 bytes, reads them back, closes;
  port 9 (discard)    sends 1000 bytes, closes;
  port 19 (generator) reads its 100000 bytes to the end, closes.
A refused connect (a full accept queue) is retried after 20 ms.  Stops at
DEADLINE_S seconds whatever is left.  Prints "done=D bad=B refused=R" and
exits 0 only if all N were done and none was bad (echo not equal, wrong
length, reset).
"""
import errno
import selectors
import socket
import sys
import time

GEN_BYTES = 100000


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    host, n, par, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    end = time.monotonic() + limit
    sel = selectors.DefaultSelector()
    started = done = bad = refused = 0
    retry = []  # (when, kind) of connects to try again

    def start(kind):
        port = (7, 9, 19)[kind]
        s = socket.socket()
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            return False
        msg = bytes((kind * 31 + i) & 0xFF for i in range(1000)) if kind != 2 else b""
        sel.register(s, selectors.EVENT_WRITE,
                     {"kind": kind, "out": msg, "got": bytearray(), "sent": False})
        return True

    while done + bad < n and time.monotonic() < end:
        now = time.monotonic()
        while retry and retry[0][0] <= now and len(sel.get_map()) < par:
            start(retry.pop(0)[1])
        while started < n and len(sel.get_map()) + len(retry) < par:
            start(started % 3)
            started += 1
        for key, ev in sel.select(timeout=0.05):
            s, d = key.fileobj, key.data
            if not d["sent"]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err == errno.ECONNREFUSED:
                    sel.unregister(s)
                    s.close()
                    refused += 1
                    retry.append((time.monotonic() + 0.02, d["kind"]))
                    continue
                if err != 0:
                    sel.unregister(s)
                    s.close()
                    bad += 1
                    continue
                try:
                    if d["out"]:
                        s.sendall(d["out"])
                except OSError:
                    sel.unregister(s)
                    s.close()
                    bad += 1
                    continue
                d["sent"] = True
                if d["kind"] == 1:
                    sel.unregister(s)
                    s.close()
                    done += 1
                    continue
                if d["kind"] == 0:
                    s.shutdown(socket.SHUT_WR)
                sel.modify(s, selectors.EVENT_READ, d)
                continue
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                b = None
            if b:
                d["got"] += b
                continue
            sel.unregister(s)
            s.close()
            want = d["out"] if d["kind"] == 0 else None
            if b is None or (want is not None and bytes(d["got"]) != want) or \
                    (want is None and len(d["got"]) != GEN_BYTES):
                bad += 1
            else:
                done += 1
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print("done=%d bad=%d refused=%d" % (done, bad, refused), flush=True)
    sys.exit(0 if done == n and bad == 0 else 1)


if __name__ == "__main__":
    main()
