#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""benchctl: the coordinator of the vsync benchmarks (run by scripts/bench
inside the VM, as root; see Documentation/performance.rst).

For each node count N and each system (vsync, Corosync CPG, raw link) it
builds N network namespaces n1..nN, each with eth0 = a veth to the bridge
br0 in the initial namespace and address 10.99.0.I/24, starts the system
(vsync rings, or one corosync per namespace with a private /run), starts
one agent per namespace (vsync-bench, cpg-bench, raw-bench) and runs the
measurement points through them:

  throughput   sizes x {one sender (n1), all nodes sending}; per receiving
               node, messages and bytes from other nodes delivered in the
               window after the warm-up; the median over the receiving
               nodes. Closed loop: the senders keep at most --inflight
               bytes sent and not yet delivered back to themselves.
  latency      {agreed, safe} x {idle, paced load, loaded}: nN
               (--probe-node) sends a small probe, waits for its
               self-delivery (the raw link: the receivers measure one-way),
               pauses, again; "loaded": the other nodes send 1 KiB messages
               as fast as the closed loop lets them, so each system runs
               at its own saturation; "paced": together they send
               --load-rate 1 KiB messages a second, evenly spaced, the
               same load for every system. nN, not n1: n1 is the
               representative of both rings, which idle probes from it
               would favour
  failover     the bridge port of the last node is taken down (a crash as
               the others see it); the time until every survivor has the
               new regular view

Nothing here passes or fails on a number: the output is a table (and a
JSON document) to read.
"""

import argparse
import ctypes
import fcntl
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

SYSTEMS = ("vsync", "cpg", "raw")
SYSTEM_NAMES = {"vsync": "vsync", "cpg": "Corosync", "raw": "raw link"}
# Default flow control window of both rings: frames per node per rotation,
# and the least (vsync's "window auto", given to both as a number).
WINDOW_PER_NODE = 8
WINDOW_MIN = 64

libc = ctypes.CDLL(None, use_errno=True)


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def mono_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


# ---------------------------------------------------------------- namespaces

def perf_point_name(a):
    """The profiled point in words: "1 KiB, all nodes sending"."""
    size = "%d KiB" % (a.perf_size // 1024) if a.perf_size % 1024 == 0 \
        else "%d B" % a.perf_size
    return "%s, %s" % (size, "one sender (n1)" if a.perf_senders == "one"
                       else "all nodes sending")


class NetNS:
    """Run things in a network namespace by switching this process."""

    def __init__(self):
        self.root = os.open("/proc/self/ns/net", os.O_RDONLY)

    def enter(self, name):
        fd = os.open("/run/netns/" + name, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + name)
        finally:
            os.close(fd)

    def leave(self):
        if libc.setns(self.root, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")

    def popen(self, name, argv, **kw):
        self.enter(name)
        try:
            return subprocess.Popen(argv, **kw)
        finally:
            self.leave()

    def sysctl(self, name, key, value):
        self.enter(name)
        try:
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(str(value))
        except OSError:
            pass
        finally:
            self.leave()


def ip_batch(lines, ns=None, check=True):
    argv = ["ip"] + (["-n", ns] if ns else []) + ["-force", "-batch", "-"]
    p = subprocess.run(argv, input="\n".join(lines) + "\n", text=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise RuntimeError("ip -batch failed: " + p.stderr.strip())


def link_set_up(ifname, up):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = struct.pack("16sH22x", ifname.encode(), 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
        flags = flags | IFF_UP if up else flags & ~IFF_UP
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", ifname.encode(),
                                                 flags))
    finally:
        s.close()


class Topology:
    def __init__(self, n, ns, rps_pin=False, napi_threaded=False):
        self.n = n
        self.ns = ns
        self.rps_pin = rps_pin
        self.napi_threaded = napi_threaded

    def up(self):
        self.down(quiet=True)
        lines = ["link add br0 up type bridge"]
        for i in range(1, self.n + 1):
            lines += ["netns add n%d" % i,
                      "link add b%d type veth peer name v%d" % (i, i),
                      "link set v%d master br0 up" % i]
        ip_batch(lines)
        # --rps-pin: node I's receive runs on CPU (I - 1) mod CPUs, as if
        # each node had its own, whichever CPU sent the frame. Set before
        # the move: a device keeps its RPS map across namespaces.
        if self.rps_pin:
            ncpu = os.cpu_count() or 1
            for i in range(1, self.n + 1):
                with open("/sys/class/net/b%d/queues/rx-0/rps_cpus" % i,
                          "w") as f:
                    f.write("%x" % (1 << ((i - 1) % ncpu)))
        # --napi-threaded: both ends of each veth receive in a NAPI
        # kthread of their own (GRO on gives a veth NAPI), which the
        # scheduler places, instead of in the sender's softirq.
        if self.napi_threaded:
            ip_batch(["link set %s%d up" % (e, i)
                      for i in range(1, self.n + 1) for e in "bv"])
            for i in range(1, self.n + 1):
                for e in "bv":
                    subprocess.run(["ethtool", "-K", "%s%d" % (e, i), "gro",
                                    "on"], check=True)
                    with open("/sys/class/net/%s%d/threaded" % (e, i),
                              "w") as f:
                        f.write("1")
        ip_batch(["link set b%d netns n%d name eth0" % (i, i)
                  for i in range(1, self.n + 1)])
        # No IPv6 chatter (router solicitations, MLD) on the links.
        for i in range(1, self.n + 1):
            self.ns.sysctl("n%d" % i, "net.ipv6.conf.all.disable_ipv6", 1)
            self.ns.sysctl("n%d" % i, "net.ipv6.conf.default.disable_ipv6", 1)
            self.ns.sysctl("n%d" % i, "net.ipv6.conf.eth0.disable_ipv6", 1)
        procs = []
        for i in range(1, self.n + 1):
            procs.append(subprocess.Popen(
                ["ip", "-n", "n%d" % i, "-batch", "-"], stdin=subprocess.PIPE,
                text=True))
            procs[-1].stdin.write("link set lo up\nlink set eth0 up\n"
                                  "addr add 10.99.0.%d/24 dev eth0\n" % i)
            procs[-1].stdin.close()
        for p in procs:
            if p.wait() != 0:
                raise RuntimeError("cannot configure a namespace")

    def down(self, quiet=False):
        # Deleting a veth deletes its pair at once; a deleted namespace
        # goes away asynchronously, and with it its veth end.
        lines = ["link del v%d" % i for i in range(1, 257)
                 if os.path.exists("/sys/class/net/v%d" % i)]
        lines += ["netns del n%d" % i for i in range(1, 257)
                  if os.path.exists("/run/netns/n%d" % i)]
        if os.path.exists("/sys/class/net/br0"):
            lines.append("link del br0")
        if lines:
            ip_batch(lines, check=not quiet)


# ---------------------------------------------------------------- agents

class Agent:
    def __init__(self, node, proc):
        self.node = node
        self.proc = proc
        self.sock = None
        self.buf = b""

    def send(self, line):
        self.sock.sendall((line + "\n").encode())

    def readline(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("node %d: no answer" % self.node)
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("node %d: no answer" % self.node)
            if not d:
                raise EOFError("node %d: agent exited" % self.node)
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def kv(line):
    out = {}
    for tok in line.split()[1:]:
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = int(v)
            except ValueError:
                out[k] = v
    return out


# A point starts once the CPUs are less busy than this (wait_quiet()).
QUIET_BUSY = 0.05

# Systems that do not idle: up only for their own points (run_points()).
TRANSIENT = ("cpg",)


def cpu_busy(secs):
    """Share of the CPUs' time spent outside the idle task over SECS."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]      # all, idle + iowait
    t0, i0 = sample()
    time.sleep(secs)
    t1, i1 = sample()
    return 1 - (i1 - i0) / max(1, t1 - t0)


def idle_costs(idle):
    """[("none", 0.001), ("vsync", 0.004), ...], the CPUs' load as each
    system came up: {system: what the load grew by}."""
    return {x: b - p for (_, p), (x, b) in zip(idle, idle[1:])}


def fmt_idle(idle):
    """The same in words, with the load before any system."""
    return ", ".join(["%.1f %% with none" % (100 * idle[0][1])] + [
        "%+.1f %% %s" % (100 * d, SYSTEM_NAMES.get(x, x))
        for x, d in idle_costs(idle).items()])


def rotated(seq, k):
    """SEQ starting at its K-th item (mod its length), the rest after."""
    k = k % len(seq) if seq else 0
    return seq[k:] + seq[:k]


def loaded(pt):
    """A point that saturates its system: throughput, latency under load."""
    return pt[0] == "tput" or pt[2] is True


class Bench:
    def __init__(self, a):
        self.a = a
        self.ns = NetNS()
        self.work = tempfile.mkdtemp(prefix="vsync-bench.")
        self.results = []     # dicts, one per measurement
        self.round = 0        # --interleave: which round of the systems
        self.procs = []       # daemons to stop at the end of a system
        self.agents = []
        self.point_id = 0

    # ------------------------------------------------------------ systems

    def window(self, n):
        """Both systems' flow control window on a ring of n nodes.

        Eight frames per node and rotation, at least 64: a fixed 64 lets
        each of 32 nodes send two frames per rotation, and the token's
        own work then costs more than the frames it lets through."""
        return self.a.window or max(WINDOW_MIN, WINDOW_PER_NODE * n)

    def start_vsync(self, n):
        a = self.a
        opts = ["token-timeout", str(a.token), "token-retransmit",
                str(a.token_retransmit), "join-timeout", str(a.join),
                "consensus-timeout", str(a.consensus), "window",
                str(self.window(n)), "max-messages", str(a.max_messages)]
        procs = [self.ns.popen("n%d" % i, [a.vsyncadm, "ring", "add", "dev",
                                          "eth0", "id", str(i)] + opts)
                 for i in range(1, n + 1)]
        for p in procs:
            if p.wait() != 0:
                raise RuntimeError("vsyncadm ring add failed")

    def corosync_conf(self, n):
        a = self.a
        iface = ""
        if a.corosync_transport == "knet" and a.knet_ping_timeout:
            # knet declares a link dead when pings stop for this long;
            # the default (token / 2) trips on the guest's stalls.
            iface = ("\tinterface {\n\t\tlinknumber: 0\n"
                     "\t\tknet_ping_interval: %d\n"
                     "\t\tknet_ping_timeout: %d\n\t}\n" % (
                         max(1, a.knet_ping_timeout // 4),
                         a.knet_ping_timeout))
        nodes = "".join(
            "\tnode {\n\t\tring0_addr: 10.99.0.%d\n\t\tnodeid: %d\n"
            "\t\tname: n%d\n\t}\n" % (i, i, i) for i in range(1, n + 1))
        return """# generated by benchctl.py
totem {
	version: 2
	cluster_name: vsyncbench
	transport: %(transport)s
	crypto_cipher: none
	crypto_hash: none
	token: %(token)d
	token_coefficient: 0
	token_retransmit: %(rtr)d
	join: %(join)d
	consensus: %(consensus)d
	window_size: %(window)d
	max_messages: %(maxm)d
	ip_version: ipv4
%(iface)s}
nodelist {
%(nodes)s}
logging {
	to_stderr: yes
	to_logfile: no
	to_syslog: no
	timestamp: hires
	debug: off
}
system {
	sched_rr: %(rr)s
	move_to_root_cgroup: no
}
""" % dict(transport=a.corosync_transport, token=a.token,
           rtr=a.token_retransmit, join=a.join, consensus=a.consensus,
           window=self.window(n), maxm=a.max_messages, nodes=nodes,
           rr="yes" if a.corosync_rr else "no", iface=iface)

    def start_cpg(self, n):
        conf = os.path.join(self.work, "corosync.conf")
        with open(conf, "w") as f:
            f.write(self.corosync_conf(n))
        for i in range(1, n + 1):
            logf = open(os.path.join(self.work, "corosync.%d.log" % i), "w")
            p = subprocess.Popen([self.agent_bin("cpg"), "-N", "n%d" % i,
                                  "--exec-corosync", conf],
                                 stdout=logf, stderr=subprocess.STDOUT)
            self.procs.append(p)

    def agent_bin(self, system):
        return os.path.join(self.a.bindir, system + "-bench")

    def start_agents(self, system, n):
        path = os.path.join(self.work, "ctl." + system)
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(n + 8)
        # Receive buffers: room for bursts, bounded by the VM's memory.
        rcvbuf = min(64 << 20, (768 << 20) // n)
        self.agents = []
        for i in range(1, n + 1):
            errf = open(os.path.join(self.work, "%s.%d.err" % (system, i)),
                        "a")
            p = subprocess.Popen([self.agent_bin(system), "-N", "n%d" % i,
                                  "-i", str(i), "-C", path,
                                  "-b", str(rcvbuf), "-n", str(self.a.nice),
                                  "-t",
                                  str(int(self.a.setup_timeout * 1000))],
                                 stdout=errf, stderr=errf)
            self.agents.append(Agent(i, p))
        deadline = time.monotonic() + self.a.setup_timeout + 10
        pending = {a.node: a for a in self.agents}
        try:
            while pending:
                srv.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    s, _ = srv.accept()
                except socket.timeout:
                    dead = [a.node for a in pending.values()
                            if a.proc.poll() is not None]
                    raise RuntimeError("agents %s did not start%s" % (
                        sorted(pending),
                        " (exited: %s)" % dead if dead else ""))
                tmp = Agent(0, None)
                tmp.sock = s
                hello = kv(tmp.readline(deadline))
                a = pending.pop(hello.get("node"), None)
                if a is None:
                    s.close()
                    continue
                a.sock = s
                a.buf = tmp.buf
        finally:
            srv.close()

    def stop_agents(self):
        for a in self.agents:
            try:
                if a.sock:
                    a.send("quit")
                    a.sock.close()
            except OSError:
                pass
        t = time.monotonic() + 5
        for a in self.agents:
            try:
                a.proc.wait(max(0.1, t - time.monotonic()))
            except subprocess.TimeoutExpired:
                a.proc.kill()
                a.proc.wait()
        self.agents = []

    def stop_procs(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        t = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(max(0.1, t - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []

    def ask(self, agents, lines, timeout, expect):
        """Send each agent its line, collect one answer from each."""
        for a, line in zip(agents, lines):
            a.send(line)
        deadline = time.monotonic() + timeout
        out = {}
        for a in agents:
            extra = {}
            while True:
                line = a.readline(deadline)
                if line.startswith(expect):
                    break
                if line.startswith("from "):
                    extra["from"] = [int(x) for x in
                                     line.split("n=", 1)[1].split(",")]
            out[a.node] = kv(line)
            out[a.node].update(extra)
        return out

    # ------------------------------------------------------------ points

    def point(self, system, n, kind, roles, size, safe, dur, warm,
              gap_us=1000, pace_us=0):
        """roles: {node: "send"|"probe"|"recv"}. Returns {node: result}."""
        a = self.a
        self.point_id += 1
        lead = 0.15 + 0.01 * n
        t0 = mono_ns() + int(lead * 1e9)
        t1 = t0 + int(warm * 1e9)
        t2 = t1 + int(dur * 1e9)
        t3 = t2 + int(a.drain_max * 1e9)
        lines = []
        nsend = sum(1 for r in roles.values() if r != "recv")
        for ag in self.agents:
            role = roles.get(ag.node, "recv")
            psize = size if role != "send" or kind == "tput" else a.load_size
            inflight = 0
            if a.inflight and role == "send":
                inflight = max(4 * psize, a.inflight // max(1, nsend))
            lines.append("point id=%d role=%s size=%d safe=%d t0=%d t1=%d "
                         "t2=%d t3=%d quiet_ms=%d gap_us=%d nsend=%d "
                         "inflight=%d batch=%d pace_us=%d" % (
                             self.point_id, role, psize, safe, t0, t1, t2,
                             t3, a.quiet_ms, gap_us, nsend, inflight,
                             0 if a.no_batch else 1, pace_us))
        res = self.ask(self.agents, lines,
                       (t3 - mono_ns()) / 1e9 + 30, "result")
        if a.verbose:
            for i in sorted(res):
                log("  point %d node %d %s: %s" % (
                    self.point_id, i, roles.get(i, "recv"),
                    " ".join("%s=%s" % kv for kv in res[i].items())))
        return res

    def profile(self, system, n):
        """perf record -a -g during an extra, unmeasured point (by default
        1 KiB, every node sending; --perf-point), 3 s. Without a PMU (TCG)
        perf samples with cpu-clock; perf itself needs 10-40 s to start
        under emulation."""
        size, senders = self.a.perf_size, self.a.perf_senders
        data = os.path.join(self.work, "perf.%s.%d.data" % (system, n))
        started = os.path.join(self.work, "perf.started")
        if os.path.exists(started):
            os.unlink(started)
        try:
            with open("/proc/sys/kernel/perf_cpu_time_max_percent", "w") as f:
                f.write("0")
        except OSError:
            pass
        log("%s N=%d: perf record -a -g, %s" % (
            SYSTEM_NAMES[system], n, perf_point_name(self.a)))
        # The workload runs once perf records; it ends when stdin closes.
        p = subprocess.Popen(
            ["perf", "record", "-q", "-B", "-N", "-e", "cpu-clock", "-F",
             "499", "-a", "-g", "-o", data, "--", "sh", "-c",
             ": >%s; exec cat >/dev/null" % started],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        t = time.monotonic() + 120
        while time.monotonic() < t and p.poll() is None and \
                not os.path.exists(started):
            time.sleep(0.2)
        if p.poll() is None and os.path.exists(started):
            roles = {1: "send"} if senders == "one" else \
                {i: "send" for i in range(1, n + 1)}
            self.point(system, n, "tput", roles, size, 0, 3.0, 0.5)
        p.stdin.close()
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        err = p.stderr.read()
        text = ""
        for title, sort, limit, incl in (
                ("by process", "comm", "2", False),
                ("by symbol", "comm,dso,sym", "1", False),
                ("by symbol with its callees (inclusive)", "sym", "4",
                 True)):
            rep = subprocess.run(
                ["perf", "report", "-i", data, "--stdio",
                 "--children" if incl else "--no-children",
                 "-g", "none", "--sort", sort, "--percent-limit", limit],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            lines = [l.rstrip() for l in rep.stdout.splitlines()
                     if l.strip()[:1].isdigit()]
            if lines:
                text += "  %s:\n%s\n" % (title, "\n".join(lines))
        if self.a.perf_graph:
            # Where the time of the top symbols comes from: call chains
            # of every symbol above 2 %, callers first, branches >= 1 %.
            rep = subprocess.run(
                ["perf", "report", "-i", data, "--stdio", "--no-children",
                 "-g", "caller,1,callee", "--sort", "sym",
                 "--percent-limit", "2"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            lines = [l.rstrip() for l in rep.stdout.splitlines()
                     if l.strip() and not l.startswith("#")]
            if lines:
                text += "  call chains (callers first):\n%s\n" % \
                    "\n".join("    " + l for l in lines)
        text = text.rstrip()
        if not text:
            text = "perf failed: %s %s" % (err.strip()[-300:],
                                           rep.stderr.strip()[-300:])
        self.results.append(dict(system=system, n=n, kind="perf",
                                 size=size, senders=senders,
                                 text=text))

    def visit_reps(self):
        """Runs of a point per visit: all, or one per round."""
        return 1 if self.a.interleave else self.a.reps

    def merge(self, rec):
        """Put REC in the results, in place of an earlier round's record
        of the same point (REC's reps include that one's)."""
        for i, r in enumerate(self.results):
            if r.get("key") == rec["key"]:
                self.results[i] = rec
                return
        self.results.append(rec)

    def earlier_reps(self, key):
        for r in self.results:
            if r.get("key") == key:
                return list(r["reps"])
        return []

    def tput(self, system, n, size, senders):
        a = self.a
        roles = {1: "send"} if senders == "one" else \
            {i: "send" for i in range(1, n + 1)}
        recv_nodes = [i for i in range(1, n + 1)
                      if senders == "all" or i != 1]
        key = "tput/%s/%d/%d/%s" % (system, n, size, senders)
        reps = self.earlier_reps(key)
        for _ in range(self.visit_reps()):
            r = self.point(system, n, "tput", roles, size, 0, a.dur, a.warm)
            rates = [r[i]["rx_bytes"] / size / a.dur for i in recv_nodes]
            span = [r[i]["span_bytes"] / size / (r[i]["span_ns"] / 1e9)
                    if r[i]["span_ns"] > 0 else 0 for i in recv_nodes]
            first = [r[i]["first_ns"] / 1e6 for i in recv_nodes]
            errs = [i for i in range(1, n + 1) if r[i].get("err")]
            # Each sender's share of what node 1 delivered in the window.
            share = r[1].get("from", [])[:n]
            reps.append(dict(msgs=statistics.median(rates),
                             round=self.round,
                             share=share,
                             span=statistics.median(span),
                             first_ms=statistics.median(first),
                             min=min(rates), max=max(rates),
                             tx=sum(r[i]["tx_msgs"] for i in r) / a.dur,
                             drain=max(r[i]["drain_ns"] for i in r) / 1e9,
                             views=max(r[i].get("views", 0) for i in r),
                             drops=sum(r[i].get("drops", 0) for i in r),
                             errs=errs))
        m = statistics.median(x["msgs"] for x in reps)
        rec = dict(key=key, system=system, n=n, kind="tput", size=size,
                   paired=a.interleave == "point",
                   senders=senders, msgs_s=m, mb_s=m * size / 1e6,
                   reformed=sum(x["views"] > 0 for x in reps), reps=reps)
        self.merge(rec)
        log("%-5s N=%-2d tput %5d B %-3s: %9.0f msg/s %7.2f MB/s "
            "(this run %.0f msg/s, span %.0f msg/s, first after %.0f ms%s%s)"
            "%s%s" % (
            system, n, size, senders, m, m * size / 1e6, reps[-1]["msgs"],
            reps[-1]["span"],
            reps[-1]["first_ms"], ", %d frames dropped" % reps[-1]["drops"]
            if reps[-1]["drops"] else "",
            ", per sender at n1: %s" % ",".join(
                str(x) for x in reps[-1]["share"])
            if senders == "all" and system != "raw" else "",
            "  errors at nodes %s" % reps[-1]["errs"] if reps[-1]["errs"]
            else "", "  (membership changed during %d of %d runs)" % (
                rec["reformed"], len(reps)) if rec["reformed"] else ""))

    def latency(self, system, n, delivery, load):
        """load: False (idle), True (saturating) or "paced"."""
        a = self.a
        p = n if a.probe_node == "last" else 1
        roles = {p: "probe"}
        pace_us = 0
        if load:
            roles.update({i: "send" for i in range(1, n + 1) if i != p})
        if load == "paced":
            pace_us = int((n - 1) * 1e6 / a.load_rate)
        key = "lat/%s/%d/%s/%s" % (system, n, delivery, load)
        reps = self.earlier_reps(key)
        for _ in range(self.visit_reps()):
            r = self.point(system, n, "lat", roles, a.lat_size,
                           1 if delivery == "safe" else 0, a.lat_dur,
                           a.warm if load else 0, gap_us=a.gap_us,
                           pace_us=pace_us)
            if system == "raw":
                rx = [r[i] for i in range(1, n + 1)
                      if i != p and r[i]["lat_n"]]
                if not rx:
                    continue
                p50 = statistics.median(x["p50_ns"] for x in rx)
                p99 = statistics.median(x["p99_ns"] for x in rx)
                cnt = statistics.median(x["lat_n"] for x in rx)
            else:
                if not r[p]["lat_n"]:
                    continue
                p50, p99, cnt = r[p]["p50_ns"], r[p]["p99_ns"], r[p]["lat_n"]
            load_rate = 0
            if load:
                load_rate = r[p]["rx_bytes"] / a.load_size / a.lat_dur
            reps.append(dict(p50=p50 / 1e6, p99=p99 / 1e6, n=cnt,
                             round=self.round,
                             load_msgs_s=load_rate, lost=r[p].get("lost", 0),
                             views=max(r[i].get("views", 0) for i in r),
                             point=self.point_id))
        if not reps:
            log("%-5s N=%-2d latency %s %s: no samples" % (
                system, n, delivery, LOAD_NAMES[load]))
            return
        rec = dict(key=key, system=system, n=n, kind="lat",
                   paired=a.interleave == "point" and load is True,
                   delivery=delivery,
                   load=load, load_rate=a.load_rate if load == "paced"
                   else None,
                   p50_ms=statistics.median(x["p50"] for x in reps),
                   p99_ms=statistics.median(x["p99"] for x in reps),
                   reformed=sum(x["views"] > 0 for x in reps), reps=reps)
        self.merge(rec)
        log("%-5s N=%-2d latency %-6s %s: p50 %7.2f ms p99 %7.2f ms "
            "(this run: %.2f / %.2f ms, %d samples, point %d%s)%s" % (
                system, n, delivery, LOAD_NAMES[load],
                rec["p50_ms"], rec["p99_ms"], reps[-1]["p50"],
                reps[-1]["p99"], reps[-1]["n"], reps[-1]["point"],
                ", load %.0f msg/s" % reps[-1]["load_msgs_s"] if load else "",
                "  (membership changed during %d of %d runs)" % (
                    rec["reformed"], len(reps)) if rec["reformed"] else ""))

    def victims(self, n):
        """The nodes crashed, one after the other (or one per round)."""
        return [n - i for i in range(min(self.a.failover_reps, n - 2))]

    def failover(self, system, n):
        a = self.a
        alive = list(range(1, n + 1))
        key = "failover/%s/%d" % (system, n)
        times = self.earlier_reps(key)
        victims = self.victims(n)
        if a.interleave:
            # One crash per round, each of a whole ring: nN, nN-1, ...
            if self.round >= len(victims):
                return
            victims = [victims[self.round]]
        for victim in victims:
            survivors = [ag for ag in self.agents if ag.node in alive
                         and ag.node != victim]
            want = len(alive) - 1
            for ag in survivors:
                ag.send("watch n=%d timeout_ms=%d" % (
                    want, int(a.failover_timeout * 1000)))
            deadline = time.monotonic() + 30
            for ag in survivors:
                while not ag.readline(deadline).startswith("armed"):
                    pass
            time.sleep(0.3)
            t_kill = mono_ns()
            link_set_up("v%d" % victim, False)
            res = {}
            deadline = time.monotonic() + a.failover_timeout + 30
            for ag in survivors:
                while True:
                    line = ag.readline(deadline)
                    if line.startswith("watch"):
                        break
                res[ag.node] = kv(line)
                if a.verbose:
                    log("  watch node %d: %s" % (ag.node, line))
            alive.remove(victim)
            ok = [r["t_view"] - t_kill for r in res.values() if r["ok"]]
            if len(ok) != len(survivors):
                log("%-5s N=%-2d failover: %d of %d survivors saw no view "
                    "with %d members" % (system, n, len(survivors) - len(ok),
                                         len(survivors), want))
                break
            times.append(dict(max=max(ok) / 1e6,
                              median=statistics.median(ok) / 1e6))
            log("%-5s N=%-2d failover (node %d down): %.0f ms (median %.0f)"
                % (system, n, victim, times[-1]["max"],
                   times[-1]["median"]))
            # Let the new ring settle before the next crash.
            time.sleep(0.5)
        if times:
            self.merge(dict(
                key=key, system=system, n=n, kind="failover",
                ms=statistics.median(t["max"] for t in times), reps=times))

    def setup_system(self, system, n):
        """Start SYSTEM on the topology that is up (vsync's ring or
        Corosync's daemons, and its agents) and wait for a view of all N.
        Its agents are self.agents afterwards."""
        t = time.monotonic()
        self.agents = []    # not another system's, should this fail
        if system == "vsync":
            self.start_vsync(n)
        elif system == "cpg":
            self.start_cpg(n)
        self.start_agents(system, n)
        self.wait_members(n)
        log("%s, %d nodes: ready after %.1f s" % (
            SYSTEM_NAMES[system], n, time.monotonic() - t))

    def wait_members(self, n, timeout=None):
        """Every agent of self.agents sees a view of N members."""
        timeout = self.a.setup_timeout if timeout is None else timeout
        r = self.ask(self.agents, ["members n=%d timeout_ms=%d" % (
            n, int(timeout * 1000))] * n, timeout + 10, "members")
        bad = [i for i in r if not r[i].get("ok")]
        if bad:
            seen = {}
            for i in bad:
                seen[r[i].get("n")] = seen.get(r[i].get("n"), 0) + 1
            raise RuntimeError(
                "no view of %d members at %d nodes (view sizes seen: %s)"
                % (n, len(bad), ", ".join(
                    "%s at %d nodes" % (k, v)
                    for k, v in sorted(seen.items(), key=str))))

    def points(self, system):
        """The measured points a system runs, in order: ("tput", size,
        senders) and ("lat", delivery, load)."""
        a = self.a
        out = []
        for size in a.sizes if "tput" in a.only else ():
            for senders in ("one", "all"):
                out.append(("tput", size, senders))
        for delivery in ("agreed", "safe") if "lat" in a.only else ():
            if delivery == "safe" and system != "vsync":
                continue    # Corosync has no safe delivery; raw: n/a
            for load in (False, "paced", True):
                out.append(("lat", delivery, load))
        return out

    def run_point(self, system, n, pt):
        self.wait_quiet(system, n)
        if pt[0] == "tput":
            self.tput(system, n, pt[1], pt[2])
        else:
            self.latency(system, n, pt[1], pt[2])

    def wait_quiet(self, system, n, limit=20.0):
        """Wait until the CPUs idle (below QUIET_BUSY) before a point:
        whatever the previous point left running (a receiver still reading
        what queued in its socket, a daemon shutting down) must not run in
        the next one, another system's in particular. A guard: in the runs
        of 2026-12-07 it never had to wait."""
        t0 = time.monotonic()
        busy = cpu_busy(0.25)
        while busy >= QUIET_BUSY and time.monotonic() - t0 < limit:
            busy = cpu_busy(0.25)
        waited = time.monotonic() - t0
        if busy >= QUIET_BUSY:
            log("%s, %d nodes: the CPUs still %.0f %% busy after %.0f s; "
                "measuring anyway" % (SYSTEM_NAMES[system], n, 100 * busy,
                                      waited))
        elif waited > 1:
            log("%s, %d nodes: waited %.1f s for the CPUs to idle" % (
                SYSTEM_NAMES[system], n, waited))

    def failed(self, system, n, e):
        log("%s, %d nodes: %s" % (SYSTEM_NAMES[system], n, e))
        self.results.append(dict(system=system, n=n, kind="error",
                                 text=str(e)))
        self.show_logs(system, n)

    def run_system(self, system, n, pts=None, failover=True):
        """SYSTEM alone on a fresh topology: PTS (default: all its points,
        with the profile after the throughput), then the failovers."""
        a = self.a
        topo = Topology(n, self.ns, self.a.rps_pin, self.a.napi_threaded)
        log("%s, %d nodes: setting up" % (SYSTEM_NAMES[system], n))
        topo.up()
        try:
            self.setup_system(system, n)
            every = pts is None
            pts = self.points(system) if every else pts
            for pt in pts:
                if pt[0] == "tput":
                    self.run_point(system, n, pt)
            if every and system in a.perf and n == a.nodes[0] and \
                    self.round == 0:
                self.profile(system, n)
            for pt in pts:
                if pt[0] != "tput":
                    self.run_point(system, n, pt)
            if failover and system != "raw" and a.failover_reps > 0 and \
                    "failover" in a.only:
                self.failover(system, n)
        except (RuntimeError, TimeoutError, EOFError, OSError) as e:
            self.failed(system, n, e)
        finally:
            if system == "vsync" and a.verbose:
                self.ring_stats(n)
            if system == "cpg" and a.verbose:
                self.show_logs(system, n, lines=25)
            self.stop_agents()
            self.stop_procs()
            topo.down(quiet=True)

    def run_points(self, n):
        """--interleave point: the points under load (throughput, latency
        under load) on one topology, each measured by the systems one
        right after the other, the order rotating from round to round. A
        slow minute of the host then falls on every system's run of a
        point alike, and a ratio compares runs seconds apart, not turns
        minutes apart.

        vsync's ring and the raw link's agents stay up while the others
        measure: idle they cost the CPUs next to nothing (measured at the
        start and printed), and their EtherTypes are their own. Corosync's
        daemons do not idle (token and knet heartbeats: 6 to 8 % of the
        CPUs at N = 3, 17 % at N = 8), so they are started for each of its
        points and stopped after it (TRANSIENT). The idle and paced
        latency points, which any neighbour disturbs, and the crashes,
        which take a node off the bridge for every system, run in turns
        afterwards, each system alone."""
        a = self.a
        topo = Topology(n, self.ns, a.rps_pin, a.napi_threaded)
        log("all systems, %d nodes: setting up" % n)
        topo.up()
        sets = {}       # system: its agents while up, None if transient
        try:
            # What each system costs the others idle: the CPUs' load with
            # none running, then with each one more up (transients last).
            idle = [("none", cpu_busy(3))]
            for system in sorted(a.systems, key=lambda x: x in TRANSIENT):
                try:
                    self.setup_system(system, n)
                    if system in TRANSIENT:
                        time.sleep(a.settle)    # as before its points
                    idle.append((system, cpu_busy(3)))
                except (RuntimeError, TimeoutError, EOFError, OSError) as e:
                    self.failed(system, n, e)
                    self.stop_system(system, n)
                    continue
                sets[system] = self.agents
                if system in TRANSIENT:
                    self.stop_system(system, n)
                    sets[system] = None
            order = [x for x in a.systems if x in sets]
            self.results.append(dict(system="all", n=n, kind="background",
                                     idle=idle))
            log("all systems, %d nodes: CPUs busy while idle: %s" % (
                n, fmt_idle(idle)))
            allpts = []
            for system in order:
                for pt in self.points(system):
                    if loaded(pt) and pt not in allpts:
                        allpts.append(pt)
            # The profile follows round 1's last throughput point (its
            # last loaded point without any).
            tputs = [pt for pt in allpts if pt[0] == "tput"] or allpts[-1:]
            for self.round in range(a.reps):
                if a.reps > 1:
                    log("all systems, %d nodes: round %d of %d" % (
                        n, self.round + 1, a.reps))
                for pt in allpts:
                    live = [x for x in order if x in sets]
                    for system in rotated(live, self.round):
                        if pt in self.points(system):
                            self.visit(sets, system, n, pt)
                    if self.round == 0 and n == a.nodes[0] and \
                            tputs and pt == tputs[-1]:
                        for system in a.perf:
                            if system in sets:
                                self.visit(sets, system, n, "perf")
        finally:
            if sets.get("vsync") and a.verbose:
                self.ring_stats(n)
            # A transient's agents (interrupted during its point) are in
            # self.agents only.
            if self.agents and self.agents not in sets.values():
                self.stop_agents()
            for system in list(sets):
                self.agents = sets.pop(system) or []
                self.stop_agents()
            self.stop_procs()
            topo.down(quiet=True)
        for self.round in range(a.reps):
            live = [s for s in a.systems if not self.errored(s, n)]
            for system in rotated(live, self.round):
                pts = [pt for pt in self.points(system) if not loaded(pt)]
                failover = system != "raw" and a.failover_reps > 0 and \
                    "failover" in a.only and \
                    self.round < len(self.victims(n))
                if pts or failover:
                    self.run_system(system, n, pts, failover)

    def visit(self, sets, system, n, pt):
        """Run point PT ("perf": the profile) of SYSTEM, which is up or,
        if transient, brought up for it and stopped after. A system that
        fails is stopped and left out of SETS: not run again at this N."""
        transient = sets[system] is None
        try:
            if transient:
                self.setup_system(system, n)
                # Let what a start does settle first (knet's links and
                # path MTU probes: the CPUs are 5 % busier in the first
                # seconds than later).
                time.sleep(self.a.settle)
            else:
                self.agents = sets[system]
                # Steady first: a system starved while the others
                # measured may have re-formed.
                self.wait_members(n, 30)
            if pt == "perf":
                self.profile(system, n)
            else:
                self.run_point(system, n, pt)
        except (RuntimeError, TimeoutError, EOFError, OSError) as e:
            self.failed(system, n, e)
            self.stop_system(system, n)
            del sets[system]
            return
        if transient:
            self.stop_system(system, n)

    def stop_system(self, system, n):
        """Stop SYSTEM: self.agents (its own), Corosync's daemons, vsync's
        ring: nothing of a system that failed keeps running beside the
        others."""
        self.stop_agents()
        if system == "cpg":
            self.stop_procs()
        elif system == "vsync":
            self.stop_vsync(n)

    def stop_vsync(self, n):
        """Delete the ring on every node."""
        procs = [self.ns.popen("n%d" % i, [self.a.vsyncadm, "ring", "del",
                                          "dev", "eth0"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                 for i in range(1, n + 1)]
        for p in procs:
            p.wait()

    def errored(self, system, n):
        return any(r["kind"] == "error" and r["system"] == system and
                   r["n"] == n for r in self.results)

    def ring_stats(self, n):
        keys = ("state", "rep", "seq")
        for i in range(1, n + 1):
            p = self.ns.popen("n%d" % i, [self.a.vsyncadm, "-j", "ring",
                                          "show"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
            out = p.communicate()[0]
            try:
                r = json.loads(out)[0]
            except (ValueError, IndexError):
                log("  ring n%d: %s" % (i, out.strip()[:200]))
                continue
            st = r.get("stats", {})
            log("  ring n%d: %s members %s stats %s" % (
                i, " ".join("%s=%s" % (k, r.get(k)) for k in keys),
                ",".join(str(m.get("node_id")) for m in r.get("members", [])),
                " ".join("%s=%s" % (k, v) for k, v in st.items() if v)))

    def show_logs(self, system, n, lines=5):
        for i in range(1, n + 1):
            for name in ("%s.%d.err" % (system, i), "corosync.%d.log" % i):
                p = os.path.join(self.work, name)
                if system != "cpg" and name.startswith("corosync"):
                    continue
                try:
                    with open(p) as f:
                        text = f.read().splitlines()[-lines:]
                except OSError:
                    continue
                for l in text:
                    log("  %s: %s" % (name, l))

    def run(self):
        # --interleave turn: the systems take turns, one run of every point
        # per turn, so that a machine that slows down for a while (a busy
        # host) costs each system some runs, not one system every run.
        # --interleave point: see run_points().
        rounds = self.a.reps if self.a.interleave == "turn" else 1
        for n in self.a.nodes:
            if self.a.interleave == "point":
                self.run_points(n)
                continue
            for self.round in range(rounds):
                for system in self.a.systems:
                    if self.errored(system, n):
                        continue    # could not be set up: not again
                    if rounds > 1:
                        log("%s, %d nodes: round %d of %d" % (
                            SYSTEM_NAMES[system], n, self.round + 1,
                            rounds))
                    self.run_system(system, n)


# ---------------------------------------------------------------- table

LOAD_NAMES = {False: "idle", "paced": "paced", True: "load"}

def mark(r):
    return " *" if r.get("reformed") else ""


def fmt_rate(r):
    if r is None:
        return "-"
    m = r["msgs_s"]
    s = "%.0f" % m if m < 10000 else "%.1fk" % (m / 1000)
    return "%s / %.2f%s" % (s, r["mb_s"], mark(r))


def fmt_lat(r):
    if r is None:
        return "-"
    return "%.2f / %.2f%s" % (r["p50_ms"], r["p99_ms"], mark(r))


def ratio(a, b, fmt="%.2f"):
    if a is None or b is None or not b:
        return "-"
    return fmt % (a / b)


def pratio(v, c, field, whole):
    """vsync's number over another system's: for points the systems ran
    right after each other (--interleave point), the median of each
    round's ratio, so that a slow minute of the host cancels out; else
    the ratio of the medians."""
    if v and c and v.get("paired") and c.get("paired"):
        cr = {r["round"]: r[field] for r in c["reps"] if r.get(field)}
        pairs = [r[field] / cr[r["round"]] for r in v["reps"]
                 if r.get("round") in cr]
        if pairs:
            return "%.2f" % statistics.median(pairs)
    return ratio(v and v[whole], c and c[whole])


def table(results, a):
    def get(system, n, kind, **kw):
        for r in results:
            if (r["system"], r["n"], r["kind"]) == (system, n, kind) and \
                    all(r.get(k) == v for k, v in kw.items()):
                return r
        return None

    rows = []
    hdr = ["N", "measurement", "vsync", "Corosync", "raw link",
           "vsync/Corosync", "vsync/raw"]
    for n in a.nodes:
        for size in a.sizes:
            for senders in ("one", "all"):
                v, c, w = (get(s, n, "tput", size=size, senders=senders)
                           for s in SYSTEMS)
                rows.append([str(n), "throughput %s, %s msg/s / MB/s" % (
                    "%d B" % size if size < 1024 else "%d KiB" % (size // 1024),
                    "1 sender" if senders == "one" else "all send"),
                    fmt_rate(v), fmt_rate(c), fmt_rate(w),
                    pratio(v, c, "msgs", "msgs_s"),
                    pratio(v, w, "msgs", "msgs_s")])
        for delivery in ("agreed", "safe"):
            for load in (False, "paced", True):
                v, c, w = (get(s, n, "lat", delivery=delivery, load=load)
                           for s in SYSTEMS)
                if delivery == "safe":
                    w = None
                cc = fmt_lat(c) if delivery == "agreed" else "n/a"
                rows.append([str(n), "latency %s, %s, p50 / p99 ms" % (
                    delivery, "%d msg/s load" % a.load_rate
                    if load == "paced" else "loaded" if load else "idle"),
                    fmt_lat(v), cc, fmt_lat(w) if delivery == "agreed"
                    else "n/a",
                    "%s / %s" % (pratio(v, c, "p50", "p50_ms"),
                                 pratio(v, c, "p99", "p99_ms"))
                    if delivery == "agreed" else "-",
                    "%s / %s" % (pratio(v, w, "p50", "p50_ms"),
                                 pratio(v, w, "p99", "p99_ms"))
                    if w else "-"])
        bg = get("all", n, "background")
        if bg:
            # What each system costs the CPUs while it idles (share of
            # both CPUs; the growth when it came up, see run_points()).
            grew = idle_costs(bg["idle"])
            rows.append([str(n), "CPUs busy while idle, %"] + [
                "%.1f" % (100 * grew[x]) if x in grew else "-"
                for x in SYSTEMS] + ["-", "-"])
        v, c = get("vsync", n, "failover"), get("cpg", n, "failover")
        rows.append([str(n), "failover to new view, ms (token %d ms)"
                     % a.token,
                     "%.0f" % v["ms"] if v else "-",
                     "%.0f" % c["ms"] if c else "-", "n/a",
                     ratio(v and v["ms"], c and c["ms"]), "-"])
    widths = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    sep = "  ".join("=" * w for w in widths)
    out = [sep, "  ".join(h.ljust(w) for h, w in zip(hdr, widths)), sep]
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    out.append(sep)
    if any(r.get("reformed") for r in results):
        out.append("* the membership changed during the measurement (token "
                   "loss, ring re-formed): the number is not the steady "
                   "state")
    return "\n".join(out)


def machine_info(a):
    info = {}
    info["kernel"] = os.uname().release
    info["cpus"] = os.cpu_count()
    try:
        with open("/proc/meminfo") as f:
            info["mem_mb"] = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    info["cpu"] = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    dm = subprocess.run(["dmesg"], stdout=subprocess.PIPE, text=True,
                        stderr=subprocess.DEVNULL).stdout
    try:
        with open("/proc/cmdline") as f:
            cmdline = f.read().split()
    except OSError:
        cmdline = []
    info["idle"] = "poll" if "idle=poll" in cmdline else "halt"
    info["accel"] = "KVM" if "Hypervisor detected: KVM" in dm else \
        "TCG (software emulation)" if "QEMU" in info.get("cpu", "") or \
        "Hypervisor detected" not in dm else "unknown"
    try:
        with open("/sys/module/vsync/srcversion") as f:
            info["vsync_srcversion"] = f.read().strip()
    except OSError:
        pass
    v = subprocess.run(["corosync", "-v"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True).stdout
    info["corosync"] = v.splitlines()[0] if v else "not installed"
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", default="custom",
                   help="a label for the JSON: quick, full")
    p.add_argument("--nodes", default="3,8")
    p.add_argument("--systems", default="vsync,cpg,raw")
    p.add_argument("--sizes", default="64,1024,8192,65536")
    p.add_argument("--only", default="tput,lat,failover",
                   help="measurements to make")
    p.add_argument("--dur", type=float, default=3.0,
                   help="measurement window per point, s")
    p.add_argument("--warm", type=float, default=0.5,
                   help="warm-up before the window, s")
    p.add_argument("--lat-dur", type=float, default=3.0)
    p.add_argument("--lat-size", type=int, default=64)
    p.add_argument("--load-size", type=int, default=1024)
    p.add_argument("--load-rate", type=int, default=100,
                   help="paced latency points: messages a second from all "
                   "loaders together")
    p.add_argument("--gap-us", type=int, default=1000,
                   help="pause between latency probes")
    p.add_argument("--probe-node", choices=("first", "last"),
                   default="last",
                   help="latency probes from n1 (the representative) or nN")
    p.add_argument("--lat-dump", metavar="PREFIX",
                   help="agents write each point's latency samples, in the "
                   "order taken, to PREFIX.NODE.POINT (\"send_ns lat_ns\" "
                   "lines)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--failover-reps", type=int, default=3)
    p.add_argument("--interleave", nargs="?", const="turn",
                   choices=("turn", "point"),
                   help="turn (the default with no value): the systems take "
                   "turns, --reps rounds of one run per point each, on a "
                   "fresh topology every time; point: the points under "
                   "load on one topology, each run by one system after the "
                   "other, --reps rounds, the order rotating (Corosync "
                   "started for each of its points); the others in turns")
    p.add_argument("--settle", type=float, default=3,
                   help="--interleave point: s between starting Corosync's "
                   "daemons for a point and the point")
    p.add_argument("--failover-timeout", type=float, default=20)
    p.add_argument("--quiet-ms", type=int, default=300)
    p.add_argument("--inflight", type=int, default=1 << 20,
                   help="bytes sent and not yet self-delivered, shared by "
                   "the senders of a point (0: open loop)")
    p.add_argument("--no-batch", action="store_true",
                   help="send each message on its own: no MSG_MORE within "
                   "a burst (vsync)")
    p.add_argument("--drain-max", type=float, default=10,
                   help="s after the window to deliver what was sent")
    p.add_argument("--setup-timeout", type=float, default=0,
                   help="s to form the group (default 60 + 4 s per node)")
    p.add_argument("--token", type=int, default=300)
    p.add_argument("--token-retransmit", type=int, default=0)
    p.add_argument("--join", type=int, default=50)
    p.add_argument("--consensus", type=int, default=0)
    p.add_argument("--window", type=int, default=0,
                   help="frames per rotation, both systems (default: "
                   "8 per node, at least 64)")
    p.add_argument("--max-messages", type=int, default=16)
    p.add_argument("--corosync-transport", default="knet")
    p.add_argument("--knet-ping-timeout", type=int, default=-1,
                   help="ms; default 2 x token, 0: Corosync's default")
    p.add_argument("--corosync-rr", type=int, default=1,
                   help="corosync sched_rr (1: as shipped)")
    p.add_argument("--rps-pin", action="store_true",
                   help="receive each node's frames on its own CPU, (I - 1) "
                   "mod CPUs (RPS on each node's eth0)")
    p.add_argument("--napi-threaded", action="store_true",
                   help="receive on both ends of each veth in a threaded "
                   "NAPI (GRO on), not in the sender's softirq")
    p.add_argument("--vsync-bundle", type=int, choices=(0, 1),
                   help="set vsync's module parameter bundle: 0 sends "
                   "every frame on its own (default: as loaded, 1)")
    p.add_argument("--nice", type=int, default=0,
                   help="the agents' nice value")
    p.add_argument("--perf", default="",
                   help="systems to profile (perf record -a -g) during an "
                   "extra point (--perf-point), at the first N")
    p.add_argument("--perf-graph", action="store_true",
                   help="add the call chains of the top symbols to each "
                   "profile")
    p.add_argument("--perf-point", default="1024,all",
                   help="SIZE,one|all: the profiled point (default "
                   "1024,all)")
    p.add_argument("--bindir", default=os.path.dirname(os.path.abspath(
        __file__)))
    p.add_argument("--vsyncadm", default="userspace/vsyncadm")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log every agent's answer")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--json-stdout", action="store_true",
                   help="print the JSON between marker lines on stdout")
    a = p.parse_args()
    if a.lat_dump:
        os.environ["VSYNC_BENCH_LAT_DUMP"] = os.path.abspath(a.lat_dump)
    a.nodes = [int(x) for x in a.nodes.split(",") if x]
    a.systems = [s for s in a.systems.split(",") if s]
    a.sizes = [int(x) for x in a.sizes.split(",") if x]
    a.perf = [s for s in a.perf.split(",") if s]
    try:
        size, a.perf_senders = a.perf_point.split(",")
        a.perf_size = int(size)
        if a.perf_senders not in ("one", "all") or a.perf_size <= 0:
            raise ValueError
    except ValueError:
        p.error("--perf-point: want SIZE,one or SIZE,all, not %r"
                % a.perf_point)
    if not a.token_retransmit:
        a.token_retransmit = max(1, a.token // 4)
    if not a.consensus:
        a.consensus = int(a.token * 1.2)
    if a.knet_ping_timeout < 0:
        a.knet_ping_timeout = 2 * a.token
    if not a.setup_timeout:
        a.setup_timeout = 60 + 4 * max(a.nodes)
    for s in a.systems:
        if s not in SYSTEMS:
            p.error("unknown system " + s)
    a.vsyncadm = os.path.abspath(a.vsyncadm)

    t0 = time.monotonic()
    b = Bench(a)
    info = machine_info(a)
    bundle_param = "/sys/module/vsync/parameters/bundle"
    try:
        if a.vsync_bundle is not None:
            with open(bundle_param, "w") as f:
                f.write("%d\n" % a.vsync_bundle)
        with open(bundle_param) as f:
            info["vsync_bundle"] = f.read().strip()
    except OSError as e:
        log("vsync bundle parameter: %s" % e)
    log("machine: %s" % info)
    try:
        b.run()
    except KeyboardInterrupt:
        log("interrupted")
    info["seconds"] = round(time.monotonic() - t0, 1)
    settings = {k: v for k, v in vars(a).items()
                if k not in ("json", "json_stdout", "bindir", "vsyncadm")}
    settings["windows"] = {str(n): b.window(n) for n in a.nodes}
    doc = dict(machine=info, settings=settings, results=b.results)

    print()
    print("vsync benchmark: %s, %d CPUs, %s, kernel %s; %s" % (
        info.get("accel"), info.get("cpus", 0), info.get("cpu", "?"),
        info["kernel"], info["corosync"]))
    print("timers (ms): token %d, token retransmit %d, join %d, consensus "
          "%d; window %s, max messages %d" % (
              a.token, a.token_retransmit, a.join, a.consensus,
              str(a.window) if a.window else "%d per node, at least %d" % (
                  WINDOW_PER_NODE, WINDOW_MIN),
              a.max_messages))
    print("Corosync: transport %s%s, sched_rr %s" % (
        a.corosync_transport,
        " (knet ping timeout %d)" % a.knet_ping_timeout
        if a.corosync_transport == "knet" and a.knet_ping_timeout else "",
        "yes" if a.corosync_rr else "no"))
    print("points: %.1f s window after %.1f s warm-up, median of %d; "
          "latency probe %d B from n%s, load %d B from all other nodes; "
          "run time %.0f s" % (a.dur, a.warm, a.reps, a.lat_size,
                               "N" if a.probe_node == "last" else "1",
                               a.load_size, info["seconds"]))
    if a.interleave == "turn" and a.reps > 1:
        print("runs interleaved: the systems took %d turns at each N, one "
              "run of every point per turn" % a.reps)
    if a.interleave == "point":
        print("runs interleaved by point: throughput and latency under "
              "load on one topology, each point run by one system right "
              "after the other, %d rounds, the order rotating; %s idle "
              "beside the others, Corosync's daemons started for each of "
              "its points (%.0f s to settle) and stopped after; idle and "
              "paced latency and failovers in %d turns, each system alone; "
              "the ratios of the points under load are the median of each "
              "round's ratio" % (
                  a.reps, " and ".join(SYSTEM_NAMES[x] for x in a.systems
                                       if x not in TRANSIENT),
                  a.settle, a.reps))
    print("guest idle: %s" % (
        "poll (idle=poll: idle CPUs spin, they do not halt)"
        if info["idle"] == "poll" else "halt (idle CPUs halt; waking one "
        "under emulation takes up to milliseconds)"))
    if a.rps_pin:
        print("receive pinned: node I's eth0 on CPU I-1 mod %d (RPS)"
              % (os.cpu_count() or 1))
    if a.napi_threaded:
        print("receive: threaded NAPI on both ends of each veth (GRO on)")
    if "vsync_bundle" in info:
        print("vsync: bundles %s (module parameter bundle=%s)" % (
            "on" if info["vsync_bundle"] in ("1", "Y") else "off",
            info["vsync_bundle"]))
    print()
    print(table(b.results, a))
    for r in b.results:
        if r["kind"] == "error":
            print("\n%s, N=%d: not measured: %s" % (
                SYSTEM_NAMES[r["system"]], r["n"], r["text"]))
    for r in b.results:
        if r["kind"] == "perf":
            print("\nperf profile, %s, N=%d, %s, 3 s "
                  "(perf record -a -g; perf report --no-children):" % (
                      SYSTEM_NAMES[r["system"]], r["n"], perf_point_name(a)))
            print(r["text"])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
    if a.json_stdout:
        print("----- BEGIN bench.json -----")
        print(json.dumps(doc, indent=1))
        print("----- END bench.json -----")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
