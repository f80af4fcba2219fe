#!/usr/bin/python3
"""tcp_flood.py IFACE SRC_MAC DST_MAC DST_IP DPORT MODE COUNT SEED [SRC_IP SPORT]

Spoofed TCP segments for test_tcp_synflood.sh, built with scapy, written
as Ethernet frames on IFACE (run it in the kernel's namespace) to DST_MAC:

  syn     COUNT SYNs to DST_IP:DPORT from random sources 198.18.0.3-254
          (neither end of the lab, nor the network or broadcast address),
          random ports 1024-65535 and random initial sequence numbers, with
          the options a kernel sends (MSS, SACK-permitted, timestamps, window
          scale);
  rstack  COUNT RSTs then COUNT ACKs from SRC_IP:SPORT to DST_IP:DPORT (an
          established connection's 4-tuple) with random sequence numbers
          (and random acknowledgment numbers on the ACKs): a blind attacker
          who knows the ports but not the sequence space.
  icmp    COUNT ICMP errors from SRC_IP to DST_IP, each quoting a segment
          DST_IP:DPORT -> SRC_IP:SPORT (the connection's own, as usock sent
          it) with a random sequence number, in turn: port unreachable,
          host unreachable, fragmentation needed (next-hop MTU random in
          68..1400), time exceeded and parameter problem.  The hard errors
          would reset the connection and fragmentation-needed would shrink
          its segments, if usock believed them (RFC 5927).

scapy builds one frame of each kind; the others are copies with the
fields changed and the checksums redone.  The frames are all built first
and then sent back to back on one socket.
SEED makes a run repeatable.  Prints "sent=N build_s=B send_s=S".
"""
import random
import struct
import sys
import time

from scapy.all import IP, TCP, Ether, conf, raw  # noqa: E402


def csum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def variant(tmpl, src, sport, seq, ack, ipid, tsval):
    """tmpl (a frame scapy built) with new fields and both checksums redone:
    building each frame with scapy would take seconds per thousand."""
    f = bytearray(tmpl)
    ip, tcp = 14, 14 + 20
    struct.pack_into("!H", f, ip + 4, ipid)
    if src is not None:
        f[ip + 12:ip + 16] = bytes(int(b) for b in src.split("."))
    struct.pack_into("!H", f, ip + 10, 0)
    struct.pack_into("!H", f, ip + 10, csum(bytes(f[ip:ip + 20])))
    if sport is not None:
        struct.pack_into("!H", f, tcp, sport)
    struct.pack_into("!II", f, tcp + 4, seq, ack)
    if tsval is not None:
        # The template's options: MSS(4) SAckOK(2) Timestamp(10) NOP WScale(3).
        struct.pack_into("!I", f, tcp + 20 + 4 + 2 + 2, tsval)
    struct.pack_into("!H", f, tcp + 16, 0)
    seg = bytes(f[tcp:])
    pseudo = bytes(f[ip + 12:ip + 20]) + struct.pack("!BBH", 0, 6, len(seg))
    struct.pack_into("!H", f, tcp + 16, csum(pseudo + seg))
    return bytes(f)


def main():
    if len(sys.argv) not in (9, 11):
        sys.exit(__doc__)
    iface, smac, dmac, dip = sys.argv[1:5]
    dport = int(sys.argv[5])
    mode = sys.argv[6]
    count = int(sys.argv[7])
    rnd = random.Random(int(sys.argv[8]))
    t0 = time.monotonic()
    frames = []
    if mode == "syn":
        opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                ("NOP", None), ("WScale", 7)]
        tmpl = raw(Ether(src=smac, dst=dmac) /
                   IP(src="198.18.0.3", dst=dip, ttl=64) /
                   TCP(sport=1024, dport=dport, flags="S", window=64240,
                       options=opts))
        for _ in range(count):
            frames.append(variant(
                tmpl, "198.18.0.%d" % rnd.randint(3, 254),
                rnd.randint(1024, 65535), rnd.getrandbits(32), 0,
                rnd.getrandbits(16), rnd.getrandbits(32)))
    elif mode == "rstack" and len(sys.argv) == 11:
        sip, sport = sys.argv[9], int(sys.argv[10])
        for flags in ("R", "A"):
            tmpl = raw(Ether(src=smac, dst=dmac) /
                       IP(src=sip, dst=dip, ttl=64) /
                       TCP(sport=sport, dport=dport, flags=flags, window=1000))
            for _ in range(count):
                frames.append(variant(
                    tmpl, None, None, rnd.getrandbits(32),
                    rnd.getrandbits(32) if flags == "A" else 0,
                    rnd.getrandbits(16), None))
    elif mode == "icmp" and len(sys.argv) == 11:
        sip, sport = sys.argv[9], int(sys.argv[10])
        kinds = ((3, 3), (3, 1), (3, 4), (11, 0), (12, 0))
        eth = Ether(src=smac, dst=dmac, type=0x0800)
        for i in range(count):
            typ, code = kinds[i % len(kinds)]
            # The quote: the IP header usock sent and the first 8 bytes of its TCP header.
            quote = bytearray(raw(IP(src=dip, dst=sip, ttl=64, proto=6, len=1500,
                                     id=rnd.getrandbits(16))))
            quote += struct.pack("!HHI", dport, sport, rnd.getrandbits(32))
            rest = rnd.randint(68, 1400) if (typ, code) == (3, 4) else 0
            icmp = bytearray(struct.pack("!BBHI", typ, code, 0, rest)) + quote
            struct.pack_into("!H", icmp, 2, csum(bytes(icmp)))
            ip = bytearray(raw(IP(src=sip, dst=dip, ttl=64, proto=1, id=rnd.getrandbits(16),
                                  len=20 + len(icmp))))
            frames.append(raw(eth) + bytes(ip) + bytes(icmp))
    else:
        sys.exit(__doc__)
    t1 = time.monotonic()
    s = conf.L2socket(iface=iface)
    for f in frames:
        s.send(f)
    s.close()
    t2 = time.monotonic()
    print("sent=%d build_s=%.2f send_s=%.2f" % (len(frames), t1 - t0, t2 - t1))


if __name__ == "__main__":
    main()
