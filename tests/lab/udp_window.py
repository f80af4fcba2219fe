#!/usr/bin/python3
"""udp_window.py - a kernel-side UDP echo client that accounts for every
datagram.  Sends TOTAL bytes as datagrams of SIZE bytes to an echo server,
each carrying its sequence number and a pattern made from it, with at most
WINDOW datagrams outstanding (so no socket buffer on either side overflows).
A datagram not echoed within EXPIRE seconds leaves the window (presumed
lost), but a late echo still counts.  After the last send, waits until
every datagram is echoed or expired, then DRAIN seconds more for late
duplicates.  Gives up at DEADLINE seconds in all.

usage: udp_window.py DEST PORT TOTAL SIZE WINDOW EXPIRE DRAIN DEADLINE
Prints one line of key=value results:
  sent       datagrams sent
  echoes     echoes received (duplicates included)
  unique     distinct sequence numbers echoed
  corrupt    echoes whose bytes differ from what was sent
  unknown    echoes of sequence numbers never sent
  reordered  echoes that arrived after a later datagram's echo
  expired    datagrams that left the window unanswered
  late       echoes that came after their datagram expired
  timedout   1 if DEADLINE cut the run short
  seconds    how long it took
Exits 0 when the run completed (the caller judges the numbers), 2 on bad use.
"""
import select
import socket
import struct
import sys
import time


def main():
    if len(sys.argv) != 9:
        print(__doc__, file=sys.stderr)
        return 2
    dest, port = sys.argv[1], int(sys.argv[2])
    total, size, window = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    expire, drain, deadline = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
    if size < 8 or size > 65507 or window < 1 or total < size:
        print("udp_window.py: bad SIZE, WINDOW or TOTAL", file=sys.stderr)
        return 2
    n = (total + size - 1) // size

    # The payload of datagram seq: "SEQ" + seq + a slice of a pattern that
    # depends on seq, so a corrupt or misplaced byte is seen.
    pattern = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(size + 256))

    def payload(seq):
        off = (seq * 37) % 251
        return b"SEQ" + struct.pack("!I", seq) + pattern[off:off + size - 7]

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.connect((dest, port))
    s.setblocking(False)
    poller = select.poll()
    poller.register(s, select.POLLIN)

    start = time.monotonic()
    stop_at = start + deadline
    outstanding = {}        # seq -> time sent
    expired_set = set()
    seen = set()
    nxt = 0
    echoes = corrupt = unknown = reordered = late = 0
    highest = -1
    timedout = 0
    drain_until = None

    while True:
        now = time.monotonic()
        if now >= stop_at:
            timedout = 1
            break
        # Fill the window.
        while nxt < n and len(outstanding) < window:
            try:
                s.send(payload(nxt))
            except BlockingIOError:
                break
            outstanding[nxt] = now
            nxt += 1
        # Collect what has come back.
        if poller.poll(10):
            while True:
                try:
                    d = s.recv(65536)
                except BlockingIOError:
                    break
                except ConnectionRefusedError:
                    continue
                echoes += 1
                if len(d) < 7 or d[:3] != b"SEQ":
                    corrupt += 1
                    continue
                seq = struct.unpack("!I", d[3:7])[0]
                if seq >= nxt:
                    unknown += 1
                    continue
                if d != payload(seq):
                    corrupt += 1
                    continue
                if seq < highest:
                    reordered += 1
                highest = max(highest, seq)
                if seq in expired_set:
                    late += 1
                    expired_set.discard(seq)
                seen.add(seq)
                outstanding.pop(seq, None)
        # Expire the unanswered.
        now = time.monotonic()
        for seq in [q for q, t in outstanding.items() if now - t > expire]:
            del outstanding[seq]
            expired_set.add(seq)
        if nxt == n and not outstanding:
            if drain_until is None:
                drain_until = now + drain
            elif now >= drain_until:
                break

    print("sent=%d echoes=%d unique=%d corrupt=%d unknown=%d reordered=%d expired=%d "
          "late=%d timedout=%d seconds=%.2f" % (
              nxt, echoes, len(seen), corrupt, unknown, reordered,
              len(expired_set) + late, late, timedout, time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
