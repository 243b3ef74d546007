"""report: the bench's figures, their medians, the table and the TSV.

A figure is one row: a label, a unit, which way is better, and per server
the values of each run (the median is reported).  The table gives ftpd and
each peer, the best peer (highest or lowest, as the figure says), and
ftpd's ratio to it: above 1 is better than the best peer for a "higher is
better" figure, below 1 for a "lower is better" one.
"""

import statistics

import servers

HIGHER, LOWER = "higher", "lower"


class Figure:
    def __init__(self, key, label, unit, better, digits=2):
        self.key = key
        self.label = label
        self.unit = unit
        self.better = better
        self.digits = digits
        self.runs = {}      # server -> [values]
        self.notes = {}     # server -> why there is no value
        self.info = {}      # server -> what to know about the value

    def add(self, server, value):
        self.runs.setdefault(server, []).append(value)

    def skip(self, server, why):
        self.notes[server] = why

    def explain(self, server, what):
        self.info[server] = what

    def value(self, server):
        v = self.runs.get(server)
        return statistics.median(v) if v else None

    def best_peer(self):
        """(server, value) of the best peer, or (None, None)."""
        peers = [(s, self.value(s)) for s in servers.NAMES[1:]
                 if self.value(s) is not None]
        if not peers:
            return None, None
        pick = max if self.better == HIGHER else min
        return pick(peers, key=lambda sv: sv[1])

    def ratio(self):
        ours = self.value("ftpd")
        _, best = self.best_peer()
        if ours is None or not best:
            return None
        return ours / best

    def fmt(self, v):
        if v is None:
            return "-"
        if abs(v) >= 100:
            return f"{v:.0f}"
        return f"{v:.{self.digits}f}"


class Results:
    def __init__(self):
        self.figures = {}   # key -> Figure, in insertion order

    def figure(self, key, label, unit, better, digits=2):
        if key not in self.figures:
            self.figures[key] = Figure(key, label, unit, better, digits)
        return self.figures[key]


def table(results, header_lines):
    """The table as text: one row per figure."""
    cols = ["figure", "unit", "better"] + [servers.LABELS[s] for s in servers.NAMES] + \
        ["best peer", "ftpd/best"]
    rows = []
    for f in results.figures.values():
        best_name, _ = f.best_peer()
        r = f.ratio()
        rows.append([f.label, f.unit, "more" if f.better == HIGHER else "less"]
                    + [f.fmt(f.value(s)) for s in servers.NAMES]
                    + [servers.LABELS[best_name] if best_name else "-",
                       f"{r:.2f}" if r is not None else "-"])
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c)
              for i, c in enumerate(cols)]

    def line(cells):
        return "| " + " | ".join(
            c.ljust(widths[i]) if i < 3 else c.rjust(widths[i])
            for i, c in enumerate(cells)) + " |"
    out = list(header_lines)
    out.append(line(cols))
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out.extend(line(r) for r in rows)
    for title, attr in (("Notes:", "info"), ("Not measured:", "notes")):
        lines = [f"{servers.LABELS[s]}, {f.label}: {text}"
                 for f in results.figures.values()
                 for s, text in getattr(f, attr).items()]
        if lines:
            out += ["", title] + [f"  {n}" for n in lines]
    return "\n".join(out)


def write_tsv(results, path, runs_path):
    """results.tsv: the table (medians); runs.tsv: every run's value."""
    head = ["figure", "unit", "better"] + list(servers.NAMES) + ["best_peer", "ratio"]
    lines = ["\t".join(head)]
    for f in results.figures.values():
        best_name, _ = f.best_peer()
        r = f.ratio()
        lines.append("\t".join(
            [f.label, f.unit, f.better]
            + ["" if f.value(s) is None else f"{f.value(s):.6g}" for s in servers.NAMES]
            + [best_name or "", "" if r is None else f"{r:.4f}"]))
    path.write_text("\n".join(lines) + "\n")
    lines = ["\t".join(["figure", "unit", "server", "run", "value"])]
    for f in results.figures.values():
        for s, vals in f.runs.items():
            for i, v in enumerate(vals):
                lines.append("\t".join([f.label, f.unit, s, str(i + 1), f"{v:.6g}"]))
    runs_path.write_text("\n".join(lines) + "\n")
