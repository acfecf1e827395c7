#!/usr/bin/env python3
"""Writes one small capture per encapsulation, link type or IP/TCP quirk that public captures
carry (issue 16 item 5): each holds one anonymous S3 GET (handshake, request, 200 with a body,
FIN) whose every frame is wrapped the way the case says. Inner IP and TCP checksums are correct;
outer UDP checksums are 0 (allowed over IPv4).

  make_encap.py OUTDIR [CASE ...]      (no CASE: every case; --list prints the names)

Each case also names what the sensor must count for it (decode drops and anomalies, by reason):
frames that are not the connection (a beacon, a protected frame) are there on purpose.
"""
import os
import struct
import sys

T0_US = 1700000000 * 1000000
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
HOST = "encap-bucket.s3.amazonaws.com"
BODY = b"object bytes behind a tunnel\n" * 4


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


V4 = {"client": bytes([10, 20, 0, 5]), "server": bytes([52, 216, 8, 21])}
V6 = {"client": bytes.fromhex("20010db8000000000000000000000005"),
      "server": bytes.fromhex("2600141000000000000000000000a015")}


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload, options=b""):
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4,
                      flags, 65535, 0, 0) + options
    seg = hdr + payload
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)
    ck = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", ck) + seg[18:]


def ipv4(src, dst, proto, payload, ident=1, total_len=None):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload) if total_len is None else total_len,
                      ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, nxt, payload, payload_len=None):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload) if payload_len is None else payload_len,
                       nxt, 64, src, dst) + payload


def eth(etype, payload, to_server=True):
    a, b = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x05"
    return (a + b if to_server else b + a) + struct.pack("!H", etype) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def outer_v4_udp(sport, dport, payload, ident, to_server):
    # Each tunnel end encapsulates what it sends: the outer addresses follow the direction.
    a, b = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    src, dst = (a, b) if to_server else (b, a)
    return eth(0x0800, ipv4(src, dst, 17, udp(sport, dport, payload), ident), to_server)


class Packet:
    """One inner packet of the connection, before the case wraps it."""

    def __init__(self, to_server, ip, version, ident):
        self.to_server, self.ip, self.version, self.ident = to_server, ip, version, ident


def conversation(version=4, request_in_syn=False, response_in_synack=False, tso_zero=False):
    """The S3 GET as inner IP packets, in wire order."""
    addrs = V4 if version == 4 else V6
    c, s = addrs["client"], addrs["server"]
    cport, sport = 41000, 80
    cisn, sisn = 0x1000, 0x50000000
    req = ("GET /encap-key.txt HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/7.88.1\r\n"
           "Accept: */*\r\n\r\n" % HOST).encode()
    resp = ("HTTP/1.1 200 OK\r\nx-amz-request-id: 4A1B2C3D4E5F6071\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\nServer: AmazonS3\r\n\r\n" % len(BODY)).encode() + BODY
    out = []
    ident = [1]

    def add(to_server, seq, ack, flags, payload=b"", options=b"", total_len=None):
        src, dst = (c, s) if to_server else (s, c)
        sp, dp = (cport, sport) if to_server else (sport, cport)
        seg = tcp_segment(src, dst, sp, dp, seq, ack, flags, payload, options)
        if version == 4:
            ip = ipv4(src, dst, 6, seg, ident[0], total_len)
        else:
            ip = ipv6(src, dst, 6, seg)
        ident[0] += 1
        out.append(Packet(to_server, ip, version, ident[0]))

    tfo = bytes([34, 10]) + b"\x11\x22\x33\x44\x55\x66\x77\x88"  # TFO cookie option, 8 bytes
    cseq, sseq = cisn + 1, sisn + 1
    if request_in_syn:
        add(True, cisn, 0, SYN, req, tfo + b"\x01\x01")
        cseq += len(req)
    else:
        add(True, cisn, 0, SYN)
    if response_in_synack:
        add(False, sisn, cseq, SYN | ACK, resp)
        sseq += len(resp)
        add(True, cseq, sseq, ACK)
    else:
        add(False, sisn, cseq, SYN | ACK)
        add(True, cseq, sseq, ACK)
        if not request_in_syn:
            add(True, cseq, sseq, PSH | ACK, req, total_len=0 if tso_zero else None)
            cseq += len(req)
        add(False, sseq, cseq, PSH | ACK, resp)
        sseq += len(resp)
        add(True, cseq, sseq, ACK)
    add(True, cseq, sseq, FIN | ACK)
    add(False, sseq, cseq + 1, FIN | ACK)
    add(True, cseq + 1, sseq + 1, ACK)
    return out


# --- wrappers: inner packet -> (frame) ------------------------------------------------------


def ether_of(p):
    return eth(0x0800 if p.version == 4 else 0x86DD, p.ip, p.to_server)


def w_plain(p):
    return ether_of(p)


def w_geneve_gwlb(p):
    # GWLB: protocol 0x0800 (the bare IP packet), options of class 0x0108 (flow cookie etc.).
    opts = b""
    for t, val in ((1, b"\x00\x00\x00\x00\x00\x00\x00\x2a"), (2, b"\x00\x00\x00\x00\x00\x00\x00\x07"),
                   (3, b"\x12\x34\x56\x78")):
        opts += struct.pack("!HBB", 0x0108, t, len(val) // 4) + val
    hdr = struct.pack("!BBH", len(opts) // 4, 0, 0x0800 if p.version == 4 else 0x86DD) + b"\x00\x01\x00\x00"
    return outer_v4_udp(40000 + p.ident, 6081, hdr + opts + p.ip, p.ident, p.to_server)


def w_geneve_eth(p):
    hdr = struct.pack("!BBH", 0, 0, 0x6558) + b"\x00\x00\x2a\x00"
    return outer_v4_udp(50000 if p.to_server else 50003, 6081, hdr + ether_of(p), p.ident,
                        p.to_server)


def w_teredo(p):
    # Server to client through the relay carries an origin indicator; the first client packet
    # an authentication indicator as well (id 2 bytes, no auth value).
    pre = b""
    if p.ident == 2:
        pre += struct.pack("!HBB", 1, 2, 0) + b"cl" + b"\x01\x02\x03\x04\x05\x06\x07\x08" + b"\x00"
    if not p.to_server:
        pre += struct.pack("!HH4s", 0, 0xFFFF ^ 3544, bytes(x ^ 0xFF for x in (192, 0, 2, 1)))
    sp, dp = (50001, 3544) if p.to_server else (3544, 50001)
    return outer_v4_udp(sp, dp, pre + p.ip, p.ident, p.to_server)


def w_ayiya(p):
    ident = b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x05"
    hdr = struct.pack("!BBBBI", (4 << 4) | 1, (5 << 4) | 2, (2 << 4) | 1, 41 if p.version == 6 else 4,
                      1700000000) + ident + b"\x5a" * 20  # identity 2^4 bytes, SHA-1 signature
    sp, dp = (50002, 5072) if p.to_server else (5072, 50002)
    return outer_v4_udp(sp, dp, hdr + p.ip, p.ident, p.to_server)


def w_gtp_u(p):
    # G-PDU with S and E flags: sequence number, then a PDU session container (type 0x85).
    ext = bytes([1, 0x10 if p.to_server else 0x00, 0x09, 0x00])  # length 1 (4 bytes), next 0
    body = struct.pack("!HBB", p.ident, 0, 0x85) + ext + p.ip
    hdr = struct.pack("!BBHI", 0x36, 0xFF, len(body), 0x0000ABCD if p.to_server else 0x0000DCBA)
    return outer_v4_udp(2152, 2152, hdr + body, p.ident, p.to_server)


def wlan_data(p, fc1, qos=True):
    fc0 = 0x88 if qos else 0x08  # QoS data / data
    bssid, sta, dst = b"\x02\xaa\x00\x00\x00\x01", b"\x02\xbb\x00\x00\x00\x05", b"\x02\xcc\x00\x00\x00\x09"
    if fc1 & 0x03 == 0x01:
        addrs = bssid + sta + dst
    elif fc1 & 0x03 == 0x02:
        addrs = dst + bssid + sta
    elif fc1 & 0x03 == 0x03:
        addrs = bssid + b"\x02\xdd\x00\x00\x00\x02" + dst + b"\x00\x00" + sta
        hdr = struct.pack("<BBH", fc0, fc1, 44) + addrs
        return hdr + (b"\x00\x00" if qos else b"") + llc(p)
    else:
        addrs = dst + sta + bssid
    hdr = struct.pack("<BBH", fc0, fc1, 44) + addrs + struct.pack("<H", p.ident << 4)
    return hdr + (b"\x00\x00" if qos else b"") + llc(p)


def llc(p):
    return b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", 0x0800 if p.version == 4 else 0x86DD) + p.ip


def w_aruba_gre(p):
    frame = wlan_data(p, 0x01 if p.to_server else 0x02)
    gre = struct.pack("!BBH", 0, 0, 0x8210)
    return eth(0x0800, ipv4(bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]), 47, gre + frame, p.ident))


def w_erspan_gre_vxlan(p):
    erspan = struct.pack("!HHI", (1 << 12) | 100, 77, 0)
    gre = struct.pack("!BBHI", 0x10, 0, 0x88BE, p.ident)
    inner = eth(0x0800, ipv4(bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]), 47,
                             gre + erspan + ether_of(p), p.ident))
    vx = struct.pack("!BBHI", 0x08, 0, 0, 4242 << 8)
    # VTEPs pick the source port from a hash of the inner flow, each its own.
    return outer_v4_udp(33333 if p.to_server else 47001, 4789, vx + inner, p.ident, p.to_server)


def w_vxlan_gpe_in_erspan(p):
    # Arkime's gre-erspan-vxlan: an ERSPAN II mirror (GRE) of VXLAN-GPE (UDP 4790, P flag, next
    # protocol 3 = Ethernet) carrying the connection.
    gpe = struct.pack("!BBBBI", 0x0C, 0, 0, 3, 4242 << 8)
    overlay = eth(0x0800, ipv4(bytes([172, 16, 27, 131]), bytes([172, 16, 27, 121]), 17,
                               udp(4789, 4790, gpe + ether_of(p)), p.ident), p.to_server)
    erspan = struct.pack("!HHI", (1 << 12) | 100, 20, 0)
    gre = struct.pack("!BBHI", 0x10, 0, 0x88BE, p.ident)
    a, b = bytes([100, 20, 9, 2]), bytes([100, 20, 9, 1])
    return eth(0x0800, ipv4(a, b, 47, gre + erspan + overlay, p.ident), True)


def w_six_in_four(p):
    # 6in4 (IP protocol 41), as tunnel brokers and nDPI's 6in4tunnel capture carry IPv6.
    a, b = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    src, dst = (a, b) if p.to_server else (b, a)
    return eth(0x0800, ipv4(src, dst, 41, p.ip, p.ident), p.to_server)


def w_arcnet(p):
    # tcpdump's arcnet-rfc1201 captures: Linux ARCNET (source, destination, 2-byte offset), type
    # 0xD4 (RFC 1201 IP), split flag 0 and a sequence number, then IPv4.
    src, dst = (0xBE, 0x50) if p.to_server else (0x50, 0xBE)
    return bytes([src, dst, 0, 0, 0xD4, 0]) + struct.pack("!H", p.ident) + p.ip


def w_gre_in_udp(p):
    # RFC 8086: the GRE header right after UDP; the source port is the sender's flow entropy.
    gre = struct.pack("!BBH", 0, 0, 0x0800 if p.version == 4 else 0x86DD)
    return outer_v4_udp(49152 + p.ident, 4754, gre + p.ip, p.ident, p.to_server)


def w_mpls_in_vlan(p):
    labels = struct.pack("!I", (1000 << 12) | 64) + struct.pack("!I", (2000 << 12) | 0x100 | 64)
    return eth(0x8100, struct.pack("!HH", 100, 0x8847) + labels + p.ip, p.to_server)


def w_mpls_pw_vlan(p):
    # Ethernet pseudowire with a control word carrying a VLAN-tagged frame.
    label = struct.pack("!I", (3000 << 12) | 0x100 | 64)
    inner = eth(0x8100, struct.pack("!HH", 42, 0x0800 if p.version == 4 else 0x86DD) + p.ip, p.to_server)
    return eth(0x8847, label + b"\x00\x00\x00\x00" + inner, p.to_server)


def w_mpls_pw_nocw(p):
    # Ethernet pseudowire without control word (RFC 4448 makes it optional).
    label = struct.pack("!I", (3001 << 12) | 0x100 | 64)
    return eth(0x8847, label + ether_of(p), p.to_server)


def w_pppoe(p):
    ppp = struct.pack("!H", 0x0021 if p.version == 4 else 0x0057) + p.ip
    return eth(0x8864, struct.pack("!BBHH", 0x11, 0, 0x1234, len(ppp)) + ppp, p.to_server)


def w_wlan(p):
    return wlan_data(p, 0x01 if p.to_server else 0x02)


def w_radiotap(p):
    # Radiotap v0, 12 bytes: flags (bit 1) and rate (bit 2) present.
    rt = struct.pack("<BBHI", 0, 0, 12, 0x00000006) + b"\x00\x02\x00\x00"
    return rt + wlan_data(p, 0x01 if p.to_server else 0x02, qos=(p.ident % 2 == 0))


def w_nflog(p):
    def tlv(t, v):
        b = struct.pack("<HH", 4 + len(v), t) + v
        return b + b"\x00" * ((4 - len(b) % 4) % 4)
    fam = 2 if p.version == 4 else 10
    return (struct.pack("!BBH", fam, 0, 5) + tlv(1, struct.pack("!HBx", 0x0800, 3)) +
            tlv(10, b"bucketwatch\x00") + tlv(9, p.ip))


def w_chdlc(p):
    return struct.pack("!BBH", 0x0F, 0, 0x0800 if p.version == 4 else 0x86DD) + p.ip


def w_ppp(p):
    return b"\xff\x03" + struct.pack("!H", 0x0021 if p.version == 4 else 0x0057) + p.ip


def beacon():
    return (struct.pack("<BBH", 0x80, 0, 0) + b"\xff" * 6 + b"\x02\xaa\x00\x00\x00\x01" * 2 +
            b"\x00\x00" + b"\x00" * 12)


def protected(p):
    f = bytearray(wlan_data(p, 0x41))
    return bytes(f)


# name: (link type, inner IP version, conversation options, wrapper, extra frames, expected counts)
CASES = {
    "geneve_gwlb": (1, 4, {}, w_geneve_gwlb, None, {}),
    "geneve_ethernet_ipv6": (1, 6, {}, w_geneve_eth, None, {}),
    "teredo": (1, 6, {}, w_teredo, None, {}),
    "ayiya": (1, 6, {}, w_ayiya, None, {}),
    "gtp_u": (1, 4, {}, w_gtp_u, None, {}),
    "aruba_gre_80211": (1, 4, {}, w_aruba_gre, None, {}),
    "erspan_gre_in_vxlan": (1, 4, {}, w_erspan_gre_vxlan, None, {}),
    "gre_in_udp": (1, 4, {}, w_gre_in_udp, None, {}),
    "vxlan_gpe_in_erspan": (1, 4, {}, w_vxlan_gpe_in_erspan, None, {}),
    "six_in_four": (1, 6, {}, w_six_in_four, None, {}),
    "arcnet_linux": (129, 4, {}, w_arcnet, None, {}),
    "mpls_in_vlan": (1, 4, {}, w_mpls_in_vlan, None, {}),
    "mpls_pw_cw_vlan": (1, 4, {}, w_mpls_pw_vlan, None, {}),
    "mpls_pw_no_cw": (1, 4, {}, w_mpls_pw_nocw, None, {}),
    "pppoe_ipv4": (1, 4, {}, w_pppoe, None, {}),
    "pppoe_ipv6": (1, 6, {}, w_pppoe, None, {}),
    "ieee80211": (105, 4, {}, w_wlan, "wlan", {"ieee80211_not_data": 1, "ieee80211_protected": 1}),
    "radiotap": (127, 6, {}, w_radiotap, None, {}),
    "nflog": (239, 4, {}, w_nflog, None, {}),
    "cisco_hdlc": (104, 4, {}, w_chdlc, None, {}),
    "ppp": (9, 6, {}, w_ppp, None, {}),
    "ipv4_tso_zero_length": (1, 4, {"tso_zero": True}, w_plain, None,
                             {"ipv4_zero_total_length_kept": 1}),
    "tfo_request_in_syn": (1, 4, {"request_in_syn": True}, w_plain, None, {}),
    "data_on_syn_ack": (1, 4, {"request_in_syn": True, "response_in_synack": True}, w_plain,
                        None, {}),
}


# tshark guesses whether an MPLS payload has a control word from its first nibble; the pseudowire
# cases tell it the label's payload type, as an operator would with Decode As.
TSHARK_ARGS = {"mpls_pw_cw_vlan": ["-d", "mpls.label==3000,pwethcw"],
               "mpls_pw_no_cw": ["-d", "mpls.label==3001,pwethnocw"]}


def build(name):
    link, version, opts, wrap, extra, _ = CASES[name]
    frames = [wrap(p) for p in conversation(version, **opts)]
    if extra == "wlan":
        frames.insert(0, beacon())
        frames.insert(1, protected(conversation(version)[0]))
    return link, frames


def write(path, link, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link))
        t = T0_US
        for fr in frames:
            t += 1000
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)))
            f.write(fr)


def main(argv):
    if argv[1:2] == ["--list"]:
        print("\n".join(CASES))
        return 0
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for name in argv[2:] or list(CASES):
        link, frames = build(name)
        write(os.path.join(out, name + ".pcap"), link, frames)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
