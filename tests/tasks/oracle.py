"""An independent reading of a station file, written for the tests only.

It does not use ``rewardmap.metro``: names are normalised with a small regex, each line is a list (plus the loop and
branch facts passed in), distances come from a plain BFS. Builders' answers are re-derived with it.
"""

from __future__ import annotations

import re
from collections import deque

_TAG = re.compile(r"\s*(?:\(\s*Transfer Station\s*\)|（\s*换乘站\s*）|\(\s*Branch-starting Station\s*\)|（\s*支线起始站\s*）)")
_BRANCH = re.compile(r"\(\s*Branch-starting Station\s*\)|（\s*支线起始站\s*）")


def norm(name: str) -> str:
    """Tag-free, case-free, space-free name without "Station"/"站" suffixes."""
    s = _TAG.sub("", name).strip().lower()
    s = re.sub(r"[\s\-]+", "", s)
    while True:
        t = re.sub(r"(station|站)$", "", s)
        if t == s or not t:
            return s
        s = t


class Oracle:
    def __init__(self, mapping: dict[str, list[str]], *, loops=(), branch_arms=None) -> None:
        self.mapping = mapping
        self.lists: dict[str, list[str]] = {}
        self.adj: dict[str, dict[str, set[str]]] = {}
        self.branch_unknown: dict[str, int] = {}
        arms = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (branch_arms or {}).items()}
        for line, entries in mapping.items():
            names = [norm(e) for e in entries]
            closed = len(names) > 2 and names[0] == names[-1]
            if closed:
                names = names[:-1]
            self.lists[line] = names
            adj: dict[str, set[str]] = {n: set() for n in names}
            cut = set()
            extra = []
            branch_pos = [i for i, e in enumerate(entries[: len(names)]) if _BRANCH.search(e)]
            for hint in arms.get(line, []):
                s = names.index(norm(hint))
                b = max(p for p in branch_pos if p < s - 1)
                cut.add(s - 1)
                extra.append((b, s))
            if branch_pos and line not in arms:
                first = min(branch_pos)
                if first < len(names) - 1:
                    self.branch_unknown[line] = first
            for i in range(len(names) - 1):
                if i not in cut:
                    adj[names[i]].add(names[i + 1])
                    adj[names[i + 1]].add(names[i])
            for a, b in extra:
                adj[names[a]].add(names[b])
                adj[names[b]].add(names[a])
            if (closed or line in loops) and len(names) > 2:
                adj[names[-1]].add(names[0])
                adj[names[0]].add(names[-1])
            self.adj[line] = adj

    # ---- Plus truths
    def lines_of(self, station: str) -> set[str]:
        n = norm(station)
        return {ln for ln, names in self.lists.items() if n in names}

    def same_line(self, a: str, b: str) -> bool:
        return bool(self.lines_of(a) & self.lines_of(b))

    def on_line(self, station: str, line: str) -> bool:
        return norm(station) in self.lists[line]

    def line_count(self) -> int:
        return len(self.mapping)

    def hops(self, line: str, a: str) -> dict[str, int]:
        dist = {norm(a): 0}
        q = deque([norm(a)])
        while q:
            u = q.popleft()
            for v in self.adj[line][u]:
                if v not in dist:
                    dist[v] = dist[u] + 1
                    q.append(v)
        return dist

    def between(self, a: str, b: str) -> set[int]:
        """Intermediate-stop counts between two stations on every line holding both."""
        return {self.hops(line, a)[norm(b)] - 1 for line in self.lines_of(a) & self.lines_of(b)}

    # ---- planning
    def min_transfers(self, a: str, b: str) -> int | None:
        """0-1 BFS over (station, line) states: riding costs 0 transfers, changing line costs 1."""
        start = [(norm(a), ln) for ln in self.lines_of(a)]
        goal = norm(b)
        dist = {s: 0 for s in start}
        dq = deque(start)
        while dq:
            st, ln = dq.popleft()
            d = dist[(st, ln)]
            if st == goal:
                return d
            for v in self.adj[ln][st]:
                if dist.get((v, ln), 1 << 30) > d:
                    dist[(v, ln)] = d
                    dq.appendleft((v, ln))
            for other in self.lines_of_norm(st):
                if other != ln and dist.get((st, other), 1 << 30) > d + 1:
                    dist[(st, other)] = d + 1
                    dq.append((st, other))
        return None

    def lines_of_norm(self, n: str) -> list[str]:
        return [ln for ln, names in self.lists.items() if n in names]
