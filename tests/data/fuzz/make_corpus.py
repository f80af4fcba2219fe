#!/usr/bin/python3
"""The seed corpus of the libFuzzer harnesses (tests/fuzz/): this script is
the recipe of every file it writes under tests/data/fuzz/<harness>/, one
comment line per file saying what it is.  Run it with Debian's python3 and
scapy (python3-scapy) from the top of the tree:

    /usr/bin/python3 tests/data/fuzz/make_corpus.py

It writes only the files below (same bytes every run); files named
crash-* are reproducers of fixed bugs, kept by hand, and left alone.

fuzz-frame-input files are records of [flags][length, 16 bits][frame]
(tests/fuzz/fuzz_frame_input.c): flags bits 0-3 move virtual time after
the frame, bit 4 has the harness fill in the checksums.  The stack under
test is 02:00:00:00:00:02, 198.18.0.2/24, fd00::2/64; its peer
02:00:00:00:00:01, 198.18.0.1, fd00::1.  The sequence numbers below are
what `USOCK_FUZZ_DUMP=1 fuzz-frame-input -runs=1` prints.
"""
import os
import struct
import sys

from scapy.all import (ARP, BOOTP, DHCP, DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP,
                       Ether, ICMPv6EchoRequest, ICMPv6MLQuery, ICMPv6ND_NA,
                       ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
                       ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig, ICMPv6DestUnreach, IPOption_RR,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, RouterAlert, fragment,
                       fragment6)
from scapy.layers.dns import dns_compress

HERE = os.path.dirname(os.path.abspath(__file__))
MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"
IP_A, IP_B = "198.18.0.1", "198.18.0.2"
IP6_A, IP6_B = "fd00::1", "fd00::2"
LL6_A, LL6_B = "fe80::ff:fe00:1", "fe80::ff:fe00:2"
FIX = 0x10

# b's connections after the harness's setup (USOCK_FUZZ_DUMP=1).
C4 = dict(sport=40000, dport=80, rcv_nxt=2349089472, snd_una=35140688,
          snd_nxt=35143584, ts_recent=1222879313, tsval=3337101557)
C6 = dict(sport=40001, dport=80, rcv_nxt=3191604624, snd_una=3981270463,
          snd_nxt=3981273319, ts_recent=3981655432, tsval=2731281889)
B4 = dict(sport=8080, dport=50000, rcv_nxt=1589434305, snd_una=2496187372,
          snd_nxt=2496187372, ts_recent=1222879354, tsval=3337101557)

written = []

# Reproducers of bugs the harnesses found, kept as found (not written here);
# tests/proto/test_fuzz_regress.c tells each one's story as a test.
CRASHES = [
    ("fuzz-frame-input", "crash-tcp-sack-beyond-mtu",
     "out-of-order data, then b's full-sized segment carried SACK blocks: 1526-byte frame "
     "(fixed in lib/tcp/tcp_out.c put_options)"),
    ("fuzz-config", "crash-fault-delay-overflow",
     "USOCK_FAULT=delay=1e30ms: a double past uint64_t converted (fixed in drivers/fault/fault.c)"),
    ("fuzz-config", "crash-fault-jitter-nan",
     "USOCK_FAULT=jitter=nan: NaN converted to uint64_t (same fix)"),
    ("fuzz-config", "crash-fault-reorder-nan",
     "USOCK_FAULT=reorder=nan: a NaN percentage passed the range check (fixed in drivers/fault/fault.c)"),
]


def rec(frame, step=0, fix=True):
    """One record: step (0-15) picks the time that passes after it, fix has the harness fill
    in the checksums (scapy's are right already: mutations keep them right)."""
    b = bytes(frame)
    return struct.pack(">BH", step | (FIX if fix else 0), len(b)) + b


def put(harness, name, data, what):
    d = os.path.join(HERE, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))
    written.append((harness, name, what))


def e4(dst=MAC_B):
    return Ether(src=MAC_A, dst=dst)


def e6(dst=MAC_B):
    return Ether(src=MAC_A, dst=dst, type=0x86DD)


def ts_opts(c, extra=()):
    return [("NOP", None), ("NOP", None),
            ("Timestamp", (c["ts_recent"] + 100, c["tsval"]))] + list(extra)


def seg4(c, flags, seq_off=0, ack=None, data=b"", opts=None):
    ack = c["snd_una"] if ack is None else ack
    return e4() / IP(src=IP_A, dst=IP_B) / TCP(
        sport=c["sport"], dport=c["dport"], seq=c["rcv_nxt"] + seq_off, ack=ack,
        flags=flags, window=65535, options=ts_opts(c) if opts is None else opts) / Raw(data)


def seg6(c, flags, seq_off=0, ack=None, data=b"", opts=None):
    ack = c["snd_una"] if ack is None else ack
    return e6() / IPv6(src=IP6_A, dst=IP6_B) / TCP(
        sport=c["sport"], dport=c["dport"], seq=c["rcv_nxt"] + seq_off, ack=ack,
        flags=flags, window=65535, options=ts_opts(c) if opts is None else opts) / Raw(data)


SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
            ("WScale", 7)]


def frame_input():
    h = "fuzz-frame-input"
    put(h, "arp_request", rec(e4("ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=MAC_A, psrc=IP_A, pdst=IP_B), fix=False),
        "Ether(dst=bcast)/ARP(op=who-has, psrc=198.18.0.1, pdst=198.18.0.2)")
    put(h, "arp_reply", rec(e4() / ARP(
        op=2, hwsrc="02:00:00:00:00:07", psrc="198.18.0.7", hwdst=MAC_B, pdst=IP_B), fix=False),
        "Ether()/ARP(op=is-at, psrc=198.18.0.7, pdst=198.18.0.2): an unasked reply")
    put(h, "arp_gratuitous", rec(e4("ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc="02:00:00:00:00:09", psrc=IP_A, pdst=IP_A), fix=False),
        "Ether(dst=bcast)/ARP(op=who-has, psrc=pdst=198.18.0.1, new MAC): gratuitous ARP")
    put(h, "icmp_echo", rec(e4() / IP(src=IP_A, dst=IP_B) / ICMP(id=7, seq=1) / Raw(b"x" * 56)),
        "Ether()/IP(198.18.0.1 > .2)/ICMP(echo-request)/56 bytes")
    put(h, "icmp_echo_bcast", rec(e4("ff:ff:ff:ff:ff:ff") / IP(src=IP_A, dst="198.18.0.255") /
                                  ICMP(id=7, seq=2) / Raw(b"y" * 8)),
        "Ether(dst=bcast)/IP(dst=198.18.0.255)/ICMP(echo-request): directed broadcast")
    put(h, "icmp_echo_ip_options", rec(e4() / IP(src=IP_A, dst=IP_B, options=[IPOption_RR()]) /
                                       ICMP(id=7, seq=3)),
        "Ether()/IP(options=[record route])/ICMP(echo-request)")
    frags = fragment(IP(src=IP_A, dst=IP_B, id=0x4242) / ICMP(id=7, seq=4) / Raw(b"z" * 3000),
                     fragsize=1200)
    put(h, "ip4_fragments", b"".join(rec(e4() / f) for f in frags),
        "three records: fragment(IP(id=0x4242)/ICMP(echo-request)/3000 bytes, fragsize=1200)")
    frags = fragment(IP(src=IP_A, dst=IP_B, id=0x4343) / UDP(sport=53, dport=53) /
                     Raw(b"u" * 2000), fragsize=1000)
    put(h, "ip4_fragments_udp_reversed", b"".join(rec(e4() / f, 1) for f in reversed(frags)),
        "fragments of IP(id=0x4343)/UDP(53 > 53)/2000 bytes, last first, 1 ms apart")
    put(h, "icmp_frag_needed", rec(e4() / IP(src=IP_A, dst=IP_B) / ICMP(
        type=3, code=4, nexthopmtu=576) / IP(src=IP_B, dst=IP_A) / TCP(
        sport=80, dport=40000, seq=C4["snd_una"], flags="A")),
        "ICMP(dest-unreach, frag-needed, mtu 576) quoting b's segment of the 80<-40000 connection")
    put(h, "icmp_port_unreach_udp", rec(e4() / IP(src=IP_A, dst=IP_B) / ICMP(type=3, code=3) /
                                        IP(src=IP_B, dst=IP_A) / UDP(sport=5300, dport=53)),
        "ICMP(dest-unreach, port-unreachable) quoting UDP 5300 > 198.18.0.1:53 (connected socket)")
    put(h, "udp4_bound", rec(e4() / IP(src=IP_A, dst=IP_B) / UDP(sport=5000, dport=53) /
                             Raw(b"query")),
        "Ether()/IP()/UDP(5000 > 53)/'query': to b's UDP socket on 53")
    put(h, "udp4_connected", rec(e4() / IP(src=IP_A, dst=IP_B) / UDP(sport=53, dport=5300) /
                                 Raw(b"answer")),
        "Ether()/IP()/UDP(198.18.0.1:53 > 5300): to b's connected UDP socket")
    put(h, "udp4_closed_port", rec(e4() / IP(src=IP_A, dst=IP_B) / UDP(sport=5000, dport=9) /
                                   Raw(b"nobody")),
        "Ether()/IP()/UDP(5000 > 9): closed port, draws ICMP port unreachable")
    put(h, "udp4_no_checksum", rec(e4() / IP(src=IP_A, dst=IP_B) / UDP(sport=5000, dport=53,
                                                                      chksum=0) / Raw(b"q"), fix=False),
        "Ether()/IP()/UDP(5000 > 53, chksum=0): no checksum, allowed over IPv4")
    put(h, "udp4_bad_checksum", rec(e4() / IP(src=IP_A, dst=IP_B) / UDP(sport=5000, dport=53,
                                                                       chksum=0x1234) / Raw(b"q"), fix=False),
        "Ether()/IP()/UDP(5000 > 53, chksum=0x1234): a wrong checksum, dropped")
    put(h, "raw_proto_253", rec(e4() / IP(src=IP_A, dst=IP_B, proto=253) / Raw(b"experiment")),
        "Ether()/IP(proto=253)/data: for b's raw socket of protocol 253")
    put(h, "ip4_proto_unknown", rec(e4() / IP(src=IP_A, dst=IP_B, proto=254) / Raw(b"?")),
        "Ether()/IP(proto=254)/data: nobody takes it, ICMP protocol unreachable")
    put(h, "tcp4_syn_options", rec(e4() / IP(src=IP_A, dst=IP_B) / TCP(
        sport=41000, dport=80, seq=1000, flags="S", window=64240, options=SYN_OPTS)),
        "Ether()/IP()/TCP(41000 > 80, S, MSS/SAckOK/Timestamp/NOP/WScale): a new connection")
    put(h, "tcp4_syn_closed", rec(e4() / IP(src=IP_A, dst=IP_B) / TCP(
        sport=41000, dport=81, seq=1000, flags="S")),
        "Ether()/IP()/TCP(41000 > 81, S): closed port, draws RST")
    put(h, "tcp4_syn_then_rst", rec(e4() / IP(src=IP_A, dst=IP_B) / TCP(
        sport=41001, dport=80, seq=5000, flags="S", options=[("MSS", 536)]), 2) +
        rec(e4() / IP(src=IP_A, dst=IP_B) / TCP(sport=41001, dport=80, seq=5001, flags="R")),
        "TCP(41001 > 80, S, MSS 536), 10 ms, then TCP(R, seq+1): a half-open connection reset")
    put(h, "tcp4_data", rec(seg4(C4, "PA", data=b"GET / HTTP/1.0\r\n\r\n",
                                 ack=C4["snd_una"] + 1448)),
        "TCP(40000 > 80, PA, in order, acks b's first 1448 bytes, timestamps)/'GET /...'")
    put(h, "tcp4_ack_all", rec(seg4(C4, "A", ack=C4["snd_nxt"]), 7),
        "TCP(40000 > 80, A, acks everything b sent), then 1 s")
    put(h, "tcp4_sack_dupacks", b"".join(rec(seg4(C4, "A", opts=ts_opts(C4, [
        ("SAck", (C4["snd_una"] + 1448, C4["snd_nxt"]))])), 1) for _ in range(3)),
        "three TCP(40000 > 80, A, ack snd_una, SACK the second segment): fast retransmit")
    put(h, "tcp4_out_of_order", rec(seg4(C4, "PA", seq_off=1000, data=b"o" * 500)) +
        rec(seg4(C4, "PA", seq_off=0, data=b"i" * 1000)),
        "TCP(40000 > 80) bytes 1000-1500 first, then 0-1000: out-of-order queue and its drain")
    put(h, "tcp4_fin", rec(seg4(C4, "FA", ack=C4["snd_nxt"]), 9),
        "TCP(40000 > 80, FA): the peer closes, then 5 s")
    put(h, "tcp4_rst", rec(seg4(C4, "R", opts=[])),
        "TCP(40000 > 80, R, seq = rcv_nxt): the connection is reset")
    put(h, "tcp4_rst_challenge", rec(seg4(C4, "R", seq_off=100, opts=[])),
        "TCP(40000 > 80, R, seq in window but not rcv_nxt): RFC 5961 challenge ACK")
    put(h, "tcp4_syn_on_established", rec(seg4(C4, "S", opts=SYN_OPTS)),
        "TCP(40000 > 80, S) on an established connection: challenge ACK")
    put(h, "tcp4_zero_window", rec(e4() / IP(src=IP_A, dst=IP_B) / TCP(
        sport=8080, dport=50000, seq=B4["rcv_nxt"], ack=B4["snd_una"], flags="A", window=0,
        options=ts_opts(B4))),
        "TCP(8080 > 50000, A, window 0): b's active connection sees a zero window")
    put(h, "tcp4_data_to_client", rec(seg4(B4, "PA", data=b"reply" * 100), 3),
        "TCP(8080 > 50000, PA)/500 bytes to b's active connection, then 40 ms (delayed ACK)")
    put(h, "tcp4_urgent", rec(e4() / IP(src=IP_A, dst=IP_B) / TCP(
        sport=40000, dport=80, seq=C4["rcv_nxt"], ack=C4["snd_una"], flags="PAU", urgptr=3,
        options=ts_opts(C4)) / Raw(b"urgent")),
        "TCP(40000 > 80, PAU, urgptr 3)/'urgent'")
    put(h, "tcp6_data", rec(seg6(C6, "PA", data=b"hello over IPv6")),
        "Ether()/IPv6(fd00::1 > fd00::2)/TCP(40001 > 80, PA, in order)/data")
    put(h, "tcp6_syn", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / TCP(
        sport=41002, dport=80, seq=9, flags="S", options=SYN_OPTS)),
        "Ether()/IPv6()/TCP(41002 > 80, S, options): a new IPv6 connection")
    put(h, "icmp6_ptb", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / ICMPv6PacketTooBig(mtu=1280) /
                            IPv6(src=IP6_B, dst=IP6_A) / TCP(sport=80, dport=40001,
                                                             seq=C6["snd_una"], flags="A") /
                            Raw(b"p" * 64)),
        "ICMPv6(packet-too-big, mtu 1280) quoting b's segment of the 80<-40001 connection")
    put(h, "icmp6_unreach_udp", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / ICMPv6DestUnreach(code=4) /
                                    IPv6(src=IP6_B, dst=IP6_A) / UDP(sport=5353, dport=9)),
        "ICMPv6(dest-unreach, port) quoting UDP from b's 5353")
    put(h, "udp6_bound", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / UDP(sport=5000, dport=5353) /
                             Raw(b"mdns?")),
        "Ether()/IPv6()/UDP(5000 > 5353)/data: to b's dual-stack UDP socket")
    put(h, "udp6_ext_headers", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrHopByHop() /
                                   IPv6ExtHdrDestOpt() / UDP(sport=5000, dport=5353) / Raw(b"x")),
        "IPv6()/hop-by-hop/destination options/UDP(5000 > 5353): extension headers walked")
    put(h, "ip6_routing_type0", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrRouting(
        type=0, addresses=["fd00::9"], segleft=1) / UDP(sport=5000, dport=5353)),
        "IPv6()/routing header type 0/UDP: refused (RFC 5095)")
    frags = fragment6(IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrFragment(id=0x77) /
                      ICMPv6EchoRequest(id=1, seq=1, data=b"f" * 2500), 1280)
    put(h, "ip6_fragments", b"".join(rec(e6() / f) for f in frags),
        "fragment6(IPv6()/Fragment(id=0x77)/ICMPv6 echo-request/2500 bytes, 1280): reassembly")
    put(h, "icmp6_echo", rec(e6() / IPv6(src=IP6_A, dst=IP6_B) / ICMPv6EchoRequest(
        id=2, seq=1, data=b"ping6")),
        "Ether()/IPv6(fd00::1 > fd00::2)/ICMPv6(echo-request)")
    put(h, "icmp6_echo_multicast", rec(e6("33:33:00:00:00:01") / IPv6(src=LL6_A, dst="ff02::1") /
                                       ICMPv6EchoRequest(id=2, seq=2)),
        "Ether(33:33:00:00:00:01)/IPv6(fe80::ff:fe00:1 > ff02::1)/ICMPv6(echo-request)")
    put(h, "nd6_ns", rec(e6("33:33:ff:00:00:02") / IPv6(src=IP6_A, dst="ff02::1:ff00:2", hlim=255) /
                         ICMPv6ND_NS(tgt=IP6_B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A)),
        "IPv6(hlim 255, to the solicited-node group)/ICMPv6 NS(target fd00::2)/SLLA")
    put(h, "nd6_ns_dad", rec(e6("33:33:ff:00:00:02") / IPv6(src="::", dst="ff02::1:ff00:2", hlim=255) /
                             ICMPv6ND_NS(tgt=IP6_B)),
        "IPv6(src ::, hlim 255)/ICMPv6 NS(target fd00::2): someone's DAD for our address")
    put(h, "nd6_na", rec(e6("33:33:00:00:00:01") / IPv6(src=IP6_A, dst="ff02::1", hlim=255) /
                         ICMPv6ND_NA(tgt=IP6_A, R=0, S=0, O=1) /
                         ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:11")),
        "IPv6(hlim 255)/ICMPv6 NA(unsolicited, override, target fd00::1)/TLLA with a new MAC")
    put(h, "nd6_ra", rec(e6("33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255) /
                         ICMPv6ND_RA(chlim=64, routerlifetime=1800, reachabletime=30000,
                                     retranstimer=1000) /
                         ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:fe") /
                         ICMPv6NDOptMTU(mtu=1400) /
                         ICMPv6NDOptPrefixInfo(prefix="fd00:1::", prefixlen=64, L=1, A=1,
                                               validlifetime=3600, preferredlifetime=1800)),
        "IPv6(fe80::1 > ff02::1, hlim 255)/ICMPv6 RA(lifetime 1800)/SLLA/MTU 1400/prefix fd00:1::/64")
    put(h, "nd6_redirect", rec(e6() / IPv6(src="fe80::1", dst=IP6_B, hlim=255) /
                               ICMPv6ND_Redirect(tgt="fe80::2", dst="fd00:9::9")),
        "IPv6(hlim 255)/ICMPv6 redirect(target fe80::2, dst fd00:9::9)")
    put(h, "mld_query", rec(e6("33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=1) /
                            IPv6ExtHdrHopByHop(options=[RouterAlert()]) /
                            ICMPv6MLQuery(mrd=1000), 5),
        "IPv6(hlim 1)/hop-by-hop(router alert)/MLD query, then 200 ms for the report")
    put(h, "vlan_tagged", rec(Ether(src=MAC_A, dst=MAC_B, type=0x8100) / Raw(
        b"\x00\x05\x08\x00") / IP(src=IP_A, dst=IP_B) / ICMP(), fix=False),
        "Ether(type=0x8100, VLAN 5)/IP()/ICMP(): a tagged frame, dropped")
    put(h, "runt", rec(Ether(src=MAC_A, dst=MAC_B, type=0x0800) / Raw(b"\x45\x00"), fix=False),
        "Ether(type=IPv4)/2 bytes: an IPv4 header cut short")


def tcp_options():
    h = "fuzz-tcp-options"
    cases = [
        ("syn_full", 1, b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x30\x39\x00\x00\x00\x00\x01\x03\x03\x07",
         "SYN: MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 (Linux's order)"),
        ("ts_fast_path", 0, b"\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02",
         "not SYN: NOP NOP timestamps, the fast path"),
        ("sack_4_blocks", 0, b"\x01\x01\x05\x22" + b"".join(struct.pack(">II", 1000 * i, 1000 * i + 500)
                                                         for i in range(4)),
         "not SYN: NOP NOP SACK with four blocks (34 bytes)"),
        ("sack_ts", 0, b"\x01\x01\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x06\x01\x01\x05\x12"
         + struct.pack(">IIII", 10, 20, 30, 40), "not SYN: timestamps and SACK with two blocks"),
        ("wscale_big", 1, b"\x03\x03\x0f\x00", "SYN: window scale 15 (clamped to 14), EOL"),
        ("unknown_kind", 1, b"\x1e\x06\x00\x00\x00\x00\x02\x04\x02\x18", "SYN: unknown kind 30 (6 bytes), MSS 536"),
        ("bad_len", 0, b"\x08\x01\x00", "not SYN: timestamps with length 1: malformed"),
        ("truncated", 1, b"\x02\x04\x05", "SYN: an MSS option cut short"),
    ]
    for name, syn, opts, what in cases:
        put(h, name, bytes([syn]) + opts, what)


def dns_msg(**kw):
    return dns_compress(DNS(id=0x1234, qr=1, rd=1, ra=1, **kw))


def dns_reply():
    h = "fuzz-dns-reply"
    q = "www.example.com"
    # Control byte: bit 0 AAAA, bits 1-3 room for 1-8 addresses, bits 4-7 canon size (0: 256).
    cases = [
        ("a_answer", 0x0e, q, dns_msg(qd=DNSQR(qname=q, qtype="A"),
                                      an=DNSRR(rrname=q, type="A", rdata="192.0.2.1")),
         "DNS answer: www.example.com A 192.0.2.1, names compressed"),
        ("a_two_answers_one_slot", 0x00, q, dns_msg(
            qd=DNSQR(qname=q, qtype="A"),
            an=DNSRR(rrname=q, type="A", rdata="192.0.2.1") / DNSRR(rrname=q, type="A", rdata="192.0.2.2")),
         "DNS answer with two A records, room for one address"),
        ("aaaa_answer", 0x0f, q, dns_msg(qd=DNSQR(qname=q, qtype="AAAA"),
                                         an=DNSRR(rrname=q, type="AAAA", rdata="2001:db8::1")),
         "DNS answer: www.example.com AAAA 2001:db8::1"),
        ("cname_chain", 0x0e, q, dns_msg(
            qd=DNSQR(qname=q, qtype="A"),
            an=DNSRR(rrname=q, type="CNAME", rdata="web.example.net") /
            DNSRR(rrname="web.example.net", type="CNAME", rdata="cdn.example.org") /
            DNSRR(rrname="cdn.example.org", type="A", rdata="198.51.100.7")),
         "DNS answer: CNAME to web.example.net, CNAME to cdn.example.org, A 198.51.100.7"),
        ("cname_small_canon", 0x1e, q, dns_msg(
            qd=DNSQR(qname=q, qtype="A"),
            an=DNSRR(rrname=q, type="CNAME", rdata="a-rather-long-canonical-name.example.net") /
            DNSRR(rrname="a-rather-long-canonical-name.example.net", type="A", rdata="192.0.2.9")),
         "DNS answer through a long CNAME, the canonical name buffer 8 bytes"),
        ("nxdomain", 0x0e, q, dns_msg(rcode=3, qd=DNSQR(qname=q, qtype="A")),
         "DNS answer: NXDOMAIN"),
        ("servfail", 0x0e, q, dns_msg(rcode=2, qd=DNSQR(qname=q, qtype="A")),
         "DNS answer: SERVFAIL"),
        ("truncated", 0x0e, q, dns_msg(tc=1, qd=DNSQR(qname=q, qtype="A")),
         "DNS answer with TC set: ask again over TCP"),
        ("nodata_mx", 0x0e, q, dns_msg(qd=DNSQR(qname=q, qtype="A"),
                                       an=DNSRR(rrname=q, type="MX", rdata=b"\x00\x0a\x00")),
         "DNS answer with only an MX record: no data"),
        ("upper_case_trailing_dot", 0x0e, "WWW.Example.COM.", dns_msg(
            qd=DNSQR(qname=q, qtype="A"), an=DNSRR(rrname=q, type="A", rdata="192.0.2.3")),
         "question WWW.Example.COM. (case and final dot), answer www.example.com A"),
    ]
    for name, ctl, qname, msg, what in cases:
        put(h, name, bytes([ctl]) + qname.encode() + b"\x00" + bytes(msg), what)
    # A pointer loop: the answer's name points at itself.
    m = bytearray(bytes(DNS(id=0x1234, qr=1, rd=1, ra=1, qd=DNSQR(qname=q, qtype="A"))))
    m[7] = 1
    here = len(m)
    m += struct.pack(">H", 0xc000 | here) + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    put(h, "pointer_loop", bytes([0x0e]) + q.encode() + b"\x00" + bytes(m),
        "DNS answer whose owner name is a compression pointer to itself")


def dhcp_reply():
    h = "fuzz-dhcp-reply"
    mac = bytes.fromhex("020000000002")

    def bootp(**kw):
        return BOOTP(op=2, xid=0x12345678, yiaddr="198.18.0.50", siaddr="198.18.0.1",
                     chaddr=mac + b"\x00" * 10, **kw)

    common = [("server_id", "198.18.0.1"), ("subnet_mask", "255.255.255.0"),
              ("router", "198.18.0.1"), ("lease_time", 3600), ("renewal_time", 1800),
              ("rebinding_time", 3150), ("name_server", "198.18.0.1", "198.18.0.53")]
    put(h, "offer", bytes(bootp() / DHCP(options=[("message-type", "offer")] + common + ["end"])),
        "BOOTP(op=2)/DHCP(OFFER, server id, mask, router, lease, T1, T2, two DNS servers)")
    put(h, "ack", bytes(bootp() / DHCP(options=[("message-type", "ack")] + common + ["end"])),
        "BOOTP(op=2)/DHCP(ACK, the same options)")
    put(h, "nak", bytes(bootp() / DHCP(options=[("message-type", "nak"),
                                                 ("server_id", "198.18.0.1"), "end"])),
        "BOOTP(op=2)/DHCP(NAK)")
    # RFC 2132 9.3: option 52 moves options into file (1), sname (2) or both (3).
    filed = bytes([51, 4, 0, 0, 0x0e, 0x10, 3, 4, 198, 18, 0, 1, 255]).ljust(128, b"\x00")
    snamed = bytes([6, 4, 198, 18, 0, 53, 255]).ljust(64, b"\x00")
    put(h, "ack_overload_file", bytes(bootp(file=filed) / DHCP(options=[
        ("message-type", "ack"), ("server_id", "198.18.0.1"), ("subnet_mask", "255.255.255.0"),
        (52, b"\x01"), "end"])),
        "DHCP ACK with overload 1: lease and router in the file field")
    put(h, "offer_overload_both", bytes(bootp(file=filed, sname=snamed) / DHCP(options=[
        ("message-type", "offer"), ("server_id", "198.18.0.1"), (52, b"\x03"), "end"])),
        "DHCP OFFER with overload 3: options in file, then sname")
    put(h, "ack_pad_no_end", bytes(bootp() / DHCP(options=[("message-type", "ack"), "pad", "pad"])),
        "DHCP ACK whose options never END: malformed")
    put(h, "offer_many_dns", bytes(bootp() / DHCP(options=[
        ("message-type", "offer"), ("server_id", "198.18.0.1"),
        ("name_server",) + tuple("198.18.0.%d" % i for i in range(1, 9)), "end"])),
        "DHCP OFFER naming eight DNS servers (four kept)")


def config():
    h = "fuzz-config"
    cases = [
        ("static", "USOCK_IFACE=eth0\nUSOCK_IPV4=198.18.0.2/24\nUSOCK_GATEWAY=198.18.0.1\n",
         "interface, address/prefix, gateway"),
        ("full", "USOCK_IFACE=vb\nUSOCK_DRIVER=afpacket-v3\nUSOCK_IPV4=192.0.2.50/24\n"
         "USOCK_GATEWAY=192.0.2.1\nUSOCK_MAC=02:00:00:00:00:50\nUSOCK_PCAP=/tmp/x.pcap\n"
         "USOCK_FAULT=loss=2,dup=1,reorder=5,delay=1ms,jitter=2ms,seed=7,rx=1\nUSOCK_POOL=1024\n"
         "USOCK_RING=256\nUSOCK_SOCKETS=256\nUSOCK_BUSY_POLL=1\nUSOCK_TCP_CC=newreno\n"
         "USOCK_DNS=198.18.0.1,198.18.0.53\nUSOCK_TCP_TRACE=1\n",
         "every common setting"),
        ("ipv6", "USOCK_IFACE=eth0\nUSOCK_IPV4=198.18.0.2/24\nUSOCK_IPV6=fd00::2/64\n"
         "USOCK_GATEWAY6=fe80::1\n", "IPv6 address and default router"),
        ("ipv6_auto", "IFACE=eth0\x00IPV4=dhcp\x00IPV6=auto\x00", "DHCP and SLAAC, NUL separated, names without USOCK_"),
        ("dpdk", "USOCK_DRIVER=dpdk\nUSOCK_IPV4=10.0.0.2/8\nUSOCK_DPDK_ARGS=--no-huge -m 512 --no-pci "
         "--vdev=net_af_packet0,iface=eth1\nUSOCK_DPDK_PORT=1\nUSOCK_DPDK_QUEUE=0\nUSOCK_DPDK_MBUFS=4095\n",
         "the DPDK driver and its settings"),
        ("no_prefix", "USOCK_IFACE=eth0\nUSOCK_IPV4=198.18.0.2\n", "an address without prefix: refused"),
        ("bad_mac", "USOCK_IFACE=eth0\nUSOCK_IPV4=198.18.0.2/24\nUSOCK_MAC=02:00:00:00:00\n",
         "a MAC with five bytes: refused"),
        ("long_iface", "USOCK_IFACE=" + "e" * 40 + "\nUSOCK_IPV4=198.18.0.2/24\n",
         "an interface name longer than the field: refused"),
    ]
    for name, text, what in cases:
        put(h, name, text.encode(), what)


def main():
    frame_input()
    tcp_options()
    dns_reply()
    dhcp_reply()
    config()
    # The index: one line per file, what it is (the recipe is above).
    with open(os.path.join(HERE, "CORPUS.txt"), "w") as f:
        f.write("# Seeds of tests/data/fuzz/<harness>/, written by make_corpus.py "
                "(crash-* files: reproducers of fixed bugs, listed last).\n")
        for harness, name, what in written + CRASHES:
            f.write("%s/%s: %s\n" % (harness, name, what))
    if "-v" in sys.argv:
        for harness, name, what in written:
            print("%s/%s: %s" % (harness, name, what))


if __name__ == "__main__":
    main()
