"""Rules about how containers are published on their host."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from portlint.checks import Hit, Rule, RuleContext
from portlint.checks.fixes import fix
from portlint.checks.verdict import public_ingress, verdict_check
from portlint.model import Exposure, Severity
from portlint.reference import image_entry

WILDCARD_BINDS = frozenset({"0.0.0.0", "::"})


class HostNetwork(Rule):
    """A container shares the host's network stack.

    ## What it does
    Reports `network_mode: host` in Compose (and host networking in other
    formats): every port the container listens on opens directly on the host's
    interfaces. Ports the file names for such a service (in `ports` or
    `expose`) are judged one by one by the other rules too.

    ## Why is this bad?
    The file no longer says which ports are exposed: whatever the image listens
    on, today or after an upgrade, is reachable wherever the host is. Port
    mappings are ignored, so a loopback bind cannot protect it.

    ## Example
    ```yaml
    # compose.yaml
    services:
      metrics:
        image: prom/node-exporter
        network_mode: host
    ```

    ```yaml
    # daemonset.yaml
    apiVersion: apps/v1
    kind: DaemonSet
    metadata:
      name: node-exporter
    spec:
      selector:
        matchLabels: {app: node-exporter}
      template:
        metadata:
          labels: {app: node-exporter}
        spec:
          hostNetwork: true
          containers:
            - name: node-exporter
              image: prom/node-exporter
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      metrics:
        image: prom/node-exporter
        ports:
          - "127.0.0.1:9100:9100"
    ```

    ```yaml
    # daemonset.yaml
    apiVersion: apps/v1
    kind: DaemonSet
    metadata:
      name: node-exporter
    spec:
      selector:
        matchLabels: {app: node-exporter}
      template:
        metadata:
          labels: {app: node-exporter}
        spec:
          containers:
            - name: node-exporter
              image: prom/node-exporter
              ports:
                - containerPort: 9100
    ```

    ## References
    - Compose specification, `network_mode`.
    """

    code = "PL301"
    name = "host-network"
    severity = Severity.MEDIUM
    summary = "A container uses host networking, so all its ports are on the host."

    def check(self, e: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        if "host-network" not in e.traits or e.protocol != "all":
            return ()
        entry = image_entry(e.image)
        what = f" ({entry.service} listens straight on the host)" if entry else ""
        return (Hit(e, f"{e.resource} uses host networking{what}: every port it listens on is open on "
                       f"all host interfaces, and port mappings no longer apply{fix(e, 'host-network')}",
                    Severity.HIGH if entry and entry.category == "database" else None),)


class DatabasePublishedOnAllInterfaces(Rule):
    """A known image is published on every host interface.

    ## What it does
    Names the service by its image (`rules/images.yaml`) rather than by the
    port number. A database, message broker or admin tool image (postgres,
    redis, rabbitmq, adminer, portainer ...) that publishes a port on every
    interface, in Compose, or behind a public Kubernetes port, is reported with
    its risk entry's severity (else high for a database, medium for an admin
    tool), whatever the port. When the port's number belongs to another
    service (ESPHome on 6052, which IANA lists as x11), the risk list's entry
    for that port is not used: the finding says "port 6052 (IANA: x11)", and
    for an application image it is information only. When the port is the
    image's own risky port (redis on 6379), PL101 reports it. With several
    service rules on one port entry, only the most severe reports, naming the
    others. When an override or an extended service sets the image, the
    message says where.

    ## Why is this bad?
    Docker writes its own iptables rules for published ports, which bypass host
    firewalls such as ufw and firewalld: "the firewall blocks it" is usually
    not true. These services are meant for the application next to them.

    ## Example
    ```yaml
    # compose.yaml
    services:
      db:
        image: postgres:16
        ports:
          - "15432:15432"
    ```

    ```yaml
    # postgres.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: db
    spec:
      selector:
        matchLabels: {app: db}
      template:
        metadata:
          labels: {app: db}
        spec:
          containers:
            - name: db
              image: postgres:16
              ports:
                - containerPort: 15432
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: db
    spec:
      type: LoadBalancer
      selector: {app: db}
      ports:
        - port: 15432
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      db:
        image: postgres:16
        ports:
          - "127.0.0.1:15432:15432"
    ```

    ```yaml
    # postgres.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: db
    spec:
      selector:
        matchLabels: {app: db}
      template:
        metadata:
          labels: {app: db}
        spec:
          containers:
            - name: db
              image: postgres:16
              ports:
                - containerPort: 15432
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: db
    spec:
      type: ClusterIP
      selector: {app: db}
      ports:
        - port: 15432
    ```

    ## References
    - Docker documentation, packet filtering and firewalls (published ports bypass ufw).
    """

    code = "PL302"
    name = "database-published-all-interfaces"
    severity = Severity.HIGH
    summary = "A database or admin tool image publishes a port on every host interface."

    applies_to = staticmethod(public_ingress)
    check = verdict_check


class DuplicateHostPort(Rule):
    """Two services publish the same host port and protocol.

    ## What it does
    Reports a Compose port entry whose host port, protocol and address collide
    with an earlier entry in the same file (the same service or another one).
    A binding on all interfaces collides with every address. Host ranges that
    map onto one container port are left out: Docker picks a free port in them.

    ## Why is this bad?
    The second container cannot bind the port, so `docker compose up` fails,
    or, with overrides and profiles, only some environments break.

    ## Example
    ```yaml
    # compose.yaml
    services:
      blue:
        image: example/app
        ports:
          - "8080:80"
      green:
        image: example/app
        ports:
          - "8080:80"
    ```

    ## Use instead
    ```yaml
    # compose.yaml
    services:
      blue:
        image: example/app
        ports:
          - "8080:80"
      green:
        image: example/app
        ports:
          - "8081:80"
    ```

    ## References
    - Compose specification, `ports`.
    """

    code = "PL303"
    name = "duplicate-host-port"
    severity = Severity.MEDIUM
    summary = "Two port entries publish the same host port and protocol."

    def finish(self, exposures: list[Exposure], ctx: RuleContext) -> Iterable[Hit]:
        by_file: dict[str, list[Exposure]] = defaultdict(list)
        for e in exposures:
            if "published" in e.traits and not e.traits & {"ephemeral-host-port", "unresolved-host-port"} \
                    and e.scope != "unknown" and _fixed(e):
                by_file[e.location.file].append(e)
        for entries in by_file.values():
            for later, earlier in _first_collisions(entries):
                overlap = earlier.port_range.intersection(later.port_range)
                yield Hit(later, f"{later.resource} publishes host port {overlap}/{later.protocol}, "
                                 f"already published by {earlier.resource} at line {earlier.location.line}; "
                                 "the second container cannot start; publish it on another host port")


#: files with at most this many published entries compare every pair (cheaper than the trees there)
FEW_ENTRIES = 24


def _first_collisions(entries: list[Exposure]) -> Iterable[tuple[Exposure, Exposure]]:
    """Each entry with the first earlier entry (another port entry) it collides with, as comparing
    every pair would find: by comparing every pair in a file with few entries, else in O(n log n)."""
    if len(entries) <= FEW_ENTRIES:
        return _pairwise_collisions(entries)
    return _tree_collisions(entries)


def _pairwise_collisions(entries: list[Exposure]) -> Iterable[tuple[Exposure, Exposure]]:
    """``_first_collisions`` by its definition: each entry against every earlier one, in order
    (``_collide``, with each entry's sources, families and wildcard bind worked out once)."""
    facts = []
    for e in entries:
        sources = frozenset(e.sources)
        families = frozenset(6 if ":" in s else 4 for s in sources)
        facts.append((e.protocol, e.port_range.start, e.port_range.end, sources, families,
                      not sources.isdisjoint(WILDCARD_BINDS)))
    for index, later in enumerate(entries):
        protocol, start, end, sources, families, wild = facts[index]
        for number in range(index):
            other, low, high, them, their_families, their_wild = facts[number]
            if other == protocol and low <= end and start <= high \
                    and (not sources.isdisjoint(them) or ((wild or their_wild)
                                                          and not families.isdisjoint(their_families))) \
                    and entries[number].location != later.location:
                yield later, entries[number]
                break


def _tree_collisions(entries: list[Exposure]) -> Iterable[tuple[Exposure, Exposure]]:
    """``_first_collisions`` in O(n log n): earlier entries are kept in interval trees keyed by
    protocol and by what makes two entries' sources collide (a shared address; a wildcard bind and
    a shared address family), each tree giving the first entry whose host ports overlap a range."""
    trees: dict[tuple, _FirstCover] = {}
    pending: list[tuple[int, Exposure]] = []  # the current port entry's exposures: not compared with each other

    def keys(e: Exposure, stored: bool) -> set[tuple]:
        sources = set(e.sources)
        families = {6 if ":" in s else 4 for s in sources}
        wild = bool(sources & WILDCARD_BINDS)
        out = {(e.protocol, "address", s) for s in sources}
        # a stored entry is found by the keys a later one looks up: a wildcard meets every address of its
        # family, an address meets every wildcard of its family
        out |= {(e.protocol, "family" if stored else "wildcard", f) for f in families}
        if wild:
            out |= {(e.protocol, "wildcard" if stored else "family", f) for f in families}
        return out

    for index, later in enumerate(entries):
        if pending and pending[-1][1].location != later.location:
            for number, earlier in pending:
                for key in keys(earlier, stored=True):
                    trees.setdefault(key, _FirstCover()).cover(earlier.port_range.start, earlier.port_range.end, number)
            pending.clear()
        pending.append((index, later))
        found = [trees[key].first(later.port_range.start, later.port_range.end)
                 for key in keys(later, stored=False) if key in trees]
        first = min((number for number in found if number is not None), default=None)
        if first is None:
            continue
        earlier = entries[first]
        if earlier.location == later.location:  # the same port entry listed twice apart: compare as before
            earlier = next((e for e in entries[:index] if e.location != later.location and _collide(e, later)), None)
            if earlier is None:
                continue
        yield later, earlier


class _FirstCover:
    """Port ranges 0-65535, each marked with the first number that covered it: ``cover`` a range,
    ``first`` number covering any port of a range; a sparse segment tree, O(log 65536) each."""

    __slots__ = ("whole", "part")
    SIZE = 65536

    def __init__(self):
        self.whole: dict[int, int] = {}  # node: first number covering all of it
        self.part: dict[int, int] = {}  # node: first number covering any of it

    def cover(self, start: int, end: int, number: int) -> None:
        low, high = max(start, 0) + self.SIZE, min(end, self.SIZE - 1) + self.SIZE + 1
        for edge in (low, high - 1):
            node = edge
            while node:
                if node not in self.part:  # numbers only grow: the first one stays
                    self.part[node] = number
                node >>= 1
        while low < high:
            if low & 1:
                self.whole.setdefault(low, number)
                self.part.setdefault(low, number)
                low += 1
            if high & 1:
                high -= 1
                self.whole.setdefault(high, number)
                self.part.setdefault(high, number)
            low >>= 1
            high >>= 1

    def first(self, start: int, end: int) -> int | None:
        low, high = max(start, 0) + self.SIZE, min(end, self.SIZE - 1) + self.SIZE + 1
        best = None
        for edge in (low, high - 1):
            node = edge
            while node:
                found = self.whole.get(node)
                if found is not None and (best is None or found < best):
                    best = found
                node >>= 1
        while low < high:
            if low & 1:
                found = self.part.get(low)
                if found is not None and (best is None or found < best):
                    best = found
                low += 1
            if high & 1:
                high -= 1
                found = self.part.get(high)
                if found is not None and (best is None or found < best):
                    best = found
            low >>= 1
            high >>= 1
        return best


def _fixed(e: Exposure) -> bool:
    """A one-to-one mapping: Docker binds exactly these host ports."""
    target = e.target_port_range or e.port_range
    return e.port_range.size == target.size


def _collide(a: Exposure, b: Exposure) -> bool:
    if a.protocol != b.protocol or not a.port_range.overlaps(b.port_range):
        return False
    sa, sb = set(a.sources), set(b.sources)
    return bool(sa & sb) or bool((sa | sb) & WILDCARD_BINDS and _same_family(sa, sb))


def _same_family(a: set[str], b: set[str]) -> bool:
    def families(sources: set[str]) -> set[int]:
        return {6 if ":" in s else 4 for s in sources}
    return bool(families(a) & families(b))


RULES = [HostNetwork, DatabasePublishedOnAllInterfaces, DuplicateHostPort]
