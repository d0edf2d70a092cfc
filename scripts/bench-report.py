#!/usr/bin/python3
"""Stage "bench report": tables, targets and a plot from bench boots.

    bench-report.py OUT_DIR RUN_DIR...

RUN_DIRs are the boots of one "make bench" in the order they ran (each
written by scripts/guest/job-bench.sh; its config.sh says the kernel,
"series" or "base", the repetitions and the parts).  Boots of one kernel
are numbered 1, 2, ... in that order.  Writes OUT_DIR/{reg,validation,
perftest,swap,swap-extents,parts}.csv (all boots, with a boot column),
OUT_DIR/results.md and OUT_DIR/bench.png, and prints results.md.

Every figure is first reduced within a boot (the median of its
repetitions), then across the boots of its kernel: the median of those
per-boot medians and their min..max.  A figure measured in one boot only
shows the min..max of its repetitions instead, and says so.  Ratios
between two figures of one kernel are taken within each boot, then
reduced across boots; A/B ratios pair the i-th series boot with the i-th
base boot (they ran one after the other).  An A/B ratio is "within
spread" when it lies between min/max and max/min of the base's own
per-boot medians.  Exits 1 if no boot has any data.
Uses the standard library only (Debian's python3) and gnuplot.
"""
import csv
import os
import statistics
import subprocess
import sys
import time

FILES = {
    "reg": "kernel via backing size phase rep ns",
    "validation": "kernel n got via backing size phase rep ns",
    "perftest": "kernel tool backing size rep value",
    "swap": "kernel fs size layout phase rep ns",
    "swap-extents": "kernel fs size layout frag extents across count",
    "parts": "kernel part seconds",
}
BACKINGS = ["anon", "thp", "shmem", "pagecache", "devdax", "fsdax-xfs", "fsdax-ext4"]
UNCHANGED = ["anon", "thp", "shmem", "pagecache", "devdax"]
SIZES = [4096, 2 << 20, 64 << 20, 1 << 30]
GIB = 1 << 30
KERNELS = ("series", "base")


def human(size):
    size = int(size)
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


class Boot:
    """One boot: its run directory, kernel, number among that kernel's boots."""

    def __init__(self, run, order, counts):
        self.run = run
        self.order = order
        conf = read_config(os.path.join(run, "config.sh"))
        self.kernel = conf.get("EXPECT", "?")
        counts[self.kernel] = counts.get(self.kernel, 0) + 1
        self.index = counts[self.kernel]
        self.reps = conf.get("BENCH_REPS", "?")
        self.parts = conf.get("BENCH_PARTS", "") or "all"
        guest = os.path.join(run, "guest")
        self.status = read_text(os.path.join(guest, "result")) or "no verdict"
        self.errors = read_text(os.path.join(guest, "bench", "errors.log")).splitlines()
        self.retries = read_text(os.path.join(guest, "bench", "retries.log")).splitlines()
        self.uname = read_text(os.path.join(guest, "bench", "kernel"))
        self.seconds = wall_seconds(run)


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def read_config(path):
    conf = {}
    for line in read_text(path).splitlines():
        key, sep, value = line.partition("=")
        if sep:
            conf[key] = value.strip('"')
    return conf


def wall_seconds(run):
    """From the run directory's name (its start) to the guest's verdict."""
    stamp = os.path.basename(run.rstrip("/")).rsplit("-", 2)[-2:]
    result = os.path.join(run, "guest", "result")
    try:
        start = time.mktime(time.strptime("-".join(stamp), "%Y%m%d-%H%M%S"))
        seconds = int(os.path.getmtime(result) - start)
    except (ValueError, OSError):
        return None
    return seconds if seconds >= 0 else None


def load(runs, out):
    """All rows of all boots, each with its "boot" number; written to OUT."""
    boots, counts = [], {}
    data = {name: [] for name in FILES}
    for order, run in enumerate(runs, 1):
        boot = Boot(run, order, counts)
        boots.append(boot)
        for name, cols in FILES.items():
            path = os.path.join(run, "guest", "bench", name + ".csv")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for row in csv.reader(f):
                    r = dict(zip(cols.split(), row))
                    r["boot"] = boot.index
                    data[name].append(r)
    for name, cols in FILES.items():
        cols = cols.split()
        cols.insert(1, "boot")
        with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in data[name]:
                w.writerow([r.get(c, "") for c in cols])
    return boots, data


def pick(rows, **want):
    return [r for r in rows if all(str(r.get(k)) == str(v) for k, v in want.items())]


class Fig:
    """A figure over boots: per-boot medians of the repetitions, their
    median and min..max.  With one boot, min..max are the repetitions'."""

    def __init__(self, per_boot, reps, raw=None):
        self.per_boot = per_boot            # boot number -> median
        self.reps = reps                    # boot number -> repetitions
        vals = list(per_boot.values())
        self.n = len(vals)
        self.med = statistics.median(vals) if vals else None
        spread = raw if self.n == 1 and raw else vals
        self.lo = min(spread) if vals else None
        self.hi = max(spread) if vals else None
        self.of_reps = self.n == 1 and bool(raw) and len(raw) > 1

    @classmethod
    def of(cls, rows, key="ns"):
        by_boot = {}
        for r in rows:
            by_boot.setdefault(r["boot"], []).append(float(r[key]))
        per = {b: statistics.median(v) for b, v in by_boot.items()}
        raw = next(iter(by_boot.values())) if len(by_boot) == 1 else None
        return cls(per, {b: len(v) for b, v in by_boot.items()}, raw)

    def __bool__(self):
        return self.n > 0

    def ratio(self, other):
        """Boot by boot: self / other in the same boot (or the paired boot)."""
        per = {b: v / other.per_boot[b] for b, v in self.per_boot.items()
               if other.per_boot.get(b)}
        return Fig(per, {})

    def scaled(self, k):
        """The same figure times k (per page, say)."""
        g = Fig({b: v * k for b, v in self.per_boot.items()}, self.reps)
        g.lo, g.hi, g.of_reps = self.lo * k, self.hi * k, self.of_reps
        return g

    def only(self, boots):
        """The same figure from those boots only."""
        return Fig({b: v for b, v in self.per_boot.items() if b in boots},
                   {b: r for b, r in self.reps.items() if b in boots})

    def spread(self):
        """max / min of the per-boot medians (None with fewer than two boots)."""
        return self.hi / self.lo if self.n > 1 and self.lo else None

    def count(self):
        """How many boots and repetitions the figure comes from."""
        if not self.n:
            return "-"
        reps = sorted(set(self.reps.values()))
        if not reps:
            return f"{self.n} boot{'s' if self.n > 1 else ''}"
        r = str(reps[0]) if len(reps) == 1 else f"{reps[0]}-{reps[-1]}"
        return f"{self.n}×{r}"

    def fmt(self, unit="ms", digits=3):
        if not self.n:
            return "-"
        conv = {"ms": 1e-6, "ns": 1.0, "x": 1.0, "": 1.0}[unit]
        f = (lambda v: f"{v * conv:.{digits}f}")
        mark = "x" if unit == "x" else ""
        if self.n == 1 and not self.of_reps:
            return f"{f(self.med)}{mark}"
        return f"{f(self.med)}{mark} [{f(self.lo)}–{f(self.hi)}]"


def within(ab, base):
    """Is the A/B ratio's median within the base's spread across its boots?"""
    s = base.spread()
    if not ab or s is None:
        return "-"
    if ab.med > s:
        return "no (slower)"
    if ab.med < 1 / s:
        return "no (faster)"
    return "yes"


def fit(points):
    """Least squares y = a + b x; (a, b) or None."""
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


class Report:
    def __init__(self, boots, data):
        self.boots = boots
        self.d = data
        self.lines = []
        self.targets = []
        self.checks = []
        self.has_base = any(b.kernel == "base" for b in boots)

    def p(self, line=""):
        self.lines.append(line)

    def nboots(self, kernel):
        return sum(b.kernel == kernel for b in self.boots)

    def reg(self, kernel, via, backing, size, phase="repeat"):
        return Fig.of(pick(self.d["reg"], kernel=kernel, via=via, backing=backing,
                           size=size, phase=phase))

    def refused(self, kernel, via, backing, size):
        r = pick(self.d["reg"], kernel=kernel, via=via, backing=backing, size=size,
                 phase="refused")
        return r[0]["ns"] if r else None

    def header(self):
        self.p("## Benchmark results")
        self.p()
        kernels = {b.kernel: b.uname for b in self.boots}
        self.p("Kernels: " + ", ".join(f"{k} `{u or '?'}`" for k, u in kernels.items()) +
               f"; {self.nboots('series')} series and {self.nboots('base')} base boots, "
               "in this order:")
        self.p()
        self.p("| # | kernel | boot | parts | reps | guest time per part | wall | verdict | run |")
        self.p("|---|---|---|---|---|---|---|---|---|")
        for b in self.boots:
            parts = ", ".join(f"{r['part']} {int(r['seconds'])} s"
                              for r in pick(self.d["parts"], kernel=b.kernel, boot=b.index))
            wall = "-" if b.seconds is None else f"{b.seconds // 60} min {b.seconds % 60} s"
            self.p(f"| {b.order} | {b.kernel} | {b.index} | {b.parts} | {b.reps} | "
                   f"{parts or '-'} | {wall} | {b.status} | `{os.path.basename(b.run)}` |")
        self.p()
        self.p("How to read the figures: a time is the median over the boots of each "
               "boot's median over its repetitions, with the min–max of those per-boot "
               "medians in brackets; the column \"boots×reps\" says how many boots and "
               "repetitions per boot it comes from.  A figure from one boot only "
               "(validation, perftest, or a single-boot run) shows the min–max of its "
               "repetitions instead.  Ratios within one kernel are taken in each boot, "
               "then reduced the same way; A/B ratios pair the i-th series boot with the "
               "i-th base boot, and are \"within spread\" when their median lies within "
               "the base's own max/min ratio across its boots.  Times in ms unless said.")
        self.p()

    def per_page(self):
        self.p("### Pin cost per 4 KiB page, series kernel (ns/page, repeated pins)")
        self.p()
        self.p("ns/page = time of one pin / (size / 4096).")
        self.p()
        self.p("| via | backing | " + " | ".join(human(s) for s in SIZES) + " | boots×reps |")
        self.p("|---|---|" + "---|" * len(SIZES) + "---|")
        for via in ("verbs", "gup_test"):
            for backing in BACKINGS:
                cells, count = [], "-"
                for size in SIZES:
                    err = self.refused("series", via, backing, size)
                    f = self.reg("series", via, backing, size)
                    if f:
                        cells.append(f.scaled(4096 / size).fmt("ns", 0))
                        count = f.count()
                    else:
                        cells.append(f"refused ({err})" if err else "-")
                if any(c != "-" for c in cells):
                    self.p(f"| {via} | {backing} | " + " | ".join(cells) + f" | {count} |")
        self.p()

    def registration(self, via, title):
        self.p(f"### {title}, series kernel")
        self.p()
        self.p("Repeated pin, first pin of the mapping (one per boot) and release, "
               "and the repeated pin's ratio to anonymous memory (4 KiB pages) and to "
               "device-DAX of the same size in the same boot.")
        self.p()
        self.p("| backing | size | pin | first pin | release | vs anon | vs devdax | boots×reps |")
        self.p("|---|---|---|---|---|---|---|---|")
        for backing in BACKINGS:
            for size in SIZES:
                err = self.refused("series", via, backing, size)
                if err:
                    self.p(f"| {backing} | {human(size)} | refused (errno {err}) | | | | | |")
                    continue
                pin = self.reg("series", via, backing, size)
                if not pin:
                    continue
                first = self.reg("series", via, backing, size, "first")
                rel = self.reg("series", via, backing, size, "release")
                anon = pin.ratio(self.reg("series", via, "anon", size))
                ddax = pin.ratio(self.reg("series", via, "devdax", size))
                self.p(f"| {backing} | {human(size)} | {pin.fmt()} | {first.fmt()} | "
                       f"{rel.fmt()} | {anon.fmt('x', 2)} | {ddax.fmt('x', 2)} | "
                       f"{pin.count()} |")
        self.p()

    def target_rows(self):
        """The issue's targets, 1 GiB through ibv_reg_mr, series boots."""
        rows = []
        for fs in ("xfs", "ext4"):
            pin = self.reg("series", "verbs", f"fsdax-{fs}", GIB)
            for other, name, limit in (("devdax", "device-DAX", 1.2),
                                       ("anon", "anonymous memory (4 KiB pages)", 1.5)):
                rows.append((f"registration of 1 GiB, {fs} fsdax / {name}, repeated pin",
                             limit, pin, pin.ratio(self.reg("series", "verbs", other, GIB))))
        for fs in ("xfs", "ext4"):
            rel = self.reg("series", "verbs", f"fsdax-{fs}", GIB, "release")
            rows.append((f"release of a 1 GiB MR, {fs} fsdax / device-DAX", 2.0, rel,
                         rel.ratio(self.reg("series", "verbs", "devdax", GIB, "release"))))
        return rows

    def target_table(self):
        self.p("### Targets (series kernel, ibv_reg_mr over rxe0, TCG)")
        self.p()
        self.p("Ratio in each series boot, then the median [min–max] across those boots; "
               "PASS when the median is within the limit (the last column says whether "
               "every boot was).")
        self.p()
        self.p("| target | limit | fsdax ms | ratio | boots×reps | verdict | every boot |")
        self.p("|---|---|---|---|---|---|---|")
        for what, limit, fig, r in self.target_rows():
            if not r:
                self.p(f"| {what} | ≤ {limit} | {fig.fmt()} | not measured | - | FAIL | - |")
                continue
            verdict = "PASS" if r.med <= limit else "FAIL"
            every = "yes" if r.hi <= limit else "no"
            if r.n == 1:
                every = "-"
            self.p(f"| {what} | ≤ {limit} | {fig.fmt()} | {r.fmt('x', 2)} | "
                   f"{fig.count()} | {verdict} | {every} |")
        self.p()

    def unchanged_ab(self):
        self.p("### Nothing else got worse: registration, base (A) vs series (B)")
        self.p()
        if not self.has_base:
            self.p("No base boot (GUPL_BENCH_NO_BASE=1 or no A/B part): no A/B.")
            self.p()
            return
        self.p("Repeated pins of memory that is not fsdax.  B/A pairs each series boot "
               "with the base boot after it; \"A max/min\" is the base's own spread "
               "across its boots.  Through gup_test the series pins with gup_longterm() "
               "(as its ib_umem_get() does) and the base with pin_user_pages_fast(), so "
               "those rows compare the two calls.")
        self.p()
        self.p("| via | backing | size | A (base) | B (series) | B/A | A max/min | within spread | boots×reps A, B |")
        self.p("|---|---|---|---|---|---|---|---|---|")
        verdicts = []
        for via in ("verbs", "gup_test"):
            for backing in UNCHANGED:
                for size in SIZES:
                    a = self.reg("base", via, backing, size)
                    b = self.reg("series", via, backing, size)
                    if not a or not b:
                        continue
                    ab = b.ratio(a)
                    s = a.spread()
                    verdicts.append((f"{via} {backing} {human(size)}", within(ab, a)))
                    self.p(f"| {via} | {backing} | {human(size)} | {a.fmt()} | {b.fmt()} | "
                           f"{ab.fmt('x', 2)} | {'-' if s is None else f'{s:.2f}'} | "
                           f"{verdicts[-1][1]} | {a.count()}, {b.count()} |")
        self.p()
        if verdicts:
            slower = [w for w, v in verdicts if v == "no (slower)"]
            self.p(f"Within spread: {sum(v == 'yes' for _, v in verdicts)} of {len(verdicts)}; "
                   f"slower beyond it: {', '.join(slower) or 'none'}; faster beyond it: "
                   f"{sum(v == 'no (faster)' for _, v in verdicts)}.")
            self.p()

    def swap_maps(self, sel):
        """Per kernel, per boot: the kernel's (extents, span) maps and FIEMAP's count."""
        maps = {}
        for r in pick(self.d["swap-extents"], **sel):
            m = maps.setdefault((r["kernel"], r["boot"]), [set(), set()])
            m[0].add((int(r["extents"]), int(r["across"])))
            if r["frag"]:
                m[1].add(int(r["frag"]))
        return maps

    def swap_file(self, sel):
        """One swapfile's maps: (boots whose pair has the same map, table cells).
        Checks that the kernel's extent count is FIEMAP's in every boot."""
        maps = self.swap_maps(sel)
        what = f"{sel['fs']} {human(sel['size'])} {sel['layout']}"
        counted = [(k, b) for (k, b), m in sorted(maps.items()) if m[1]]
        if counted:
            bad = [f"{k} {b}" for (k, b) in counted
                   if {e for e, _ in maps[k, b][0]} != maps[k, b][1]]
            self.checks.append((f"{what}: the kernel's extent count is FIEMAP's in every boot",
                                f"{len(counted) - len(bad)} of {len(counted)} boots" +
                                (f" (not: {', '.join(bad)})" if bad else ""), not bad))
        cells = []
        for kernel in ("base", "series"):
            per = [(b, m[0]) for (k, b), m in sorted(maps.items()) if k == kernel]
            shown = ["/".join(f"{e}, {s // 1024} MiB" for e, s in sorted(m)) for _, m in per]
            if len(set(shown)) == 1:
                cells.append(f"{shown[0]} (all {len(shown)})")
            else:
                cells.append("; ".join(shown) or "-")
        fiemap = [str(sorted(m[1])[0]) if m[1] else "-" for _, m in sorted(maps.items())]
        cells.append(", ".join(fiemap) if any(c != "-" for c in fiemap) else "-")
        pairs = [b for (k, b) in maps if k == "series" and ("base", b) in maps]
        same = [b for b in sorted(pairs)
                if len(maps["series", b][0]) == 1 and maps["series", b][0] == maps["base", b][0]]
        cells.append(f"{len(same)} of {len(pairs)}" if pairs else "-")
        return same, cells

    def swap(self):
        rows = self.d["swap"]
        if not rows:
            return
        self.p("### swapon and swapoff, base (A) vs series (B)")
        self.p()
        self.p("Each boot makes its swapfiles anew on fresh non-DAX filesystems, and "
               "the fragmented ones (ext4's, so far) can come out differently from one "
               "boot to the next.  The map is the kernel's extent count and span (its "
               "\"Adding ... swap\" line at every swapon), per boot in order when the "
               "boots differ; FIEMAP's count is given for the fragmented files, per boot "
               "(base boots first), and must equal the kernel's.  B/A pairs the i-th series "
               "boot with the i-th base boot, and only pairs whose two maps are the same "
               "count; \"A max/min\" is the spread of the base boots of those pairs.")
        self.p()
        self.p("| fs | size | layout | map A (base) | map B (series) | FIEMAP | pairs with the same map |")
        self.p("|---|---|---|---|---|---|---|")
        files = []
        for fs in ("xfs", "ext4"):
            for size in (256 << 20, 2 << 30):
                for layout in ("contiguous", "fragmented"):
                    sel = dict(fs=fs, size=size, layout=layout)
                    if not pick(rows, **sel):
                        continue
                    same, cells = self.swap_file(sel)
                    files.append((sel, same))
                    self.p(f"| {fs} | {human(size)} | {layout} | " + " | ".join(cells) + " |")
        self.p()
        self.p("| fs | size | layout | op | A (base) | B (series) | B/A, same-map pairs | A max/min | within spread | boots×reps A, B |")
        self.p("|---|---|---|---|---|---|---|---|---|---|")
        ratios = []
        for sel, same in files:
            for phase in ("swapon", "swapoff"):
                a = Fig.of(pick(rows, kernel="base", phase=phase, **sel))
                b = Fig.of(pick(rows, kernel="series", phase=phase, **sel))
                ab, s, verdict = Fig({}, {}), None, "-"
                if a and b and same:
                    ab = b.ratio(a).only(same)
                    s = a.only(same).spread()
                    verdict = within(ab, a.only(same))
                    ratios.append((phase, ab.med))
                elif a and b:
                    verdict = "maps differ"
                self.p(f"| {sel['fs']} | {human(sel['size'])} | {sel['layout']} | {phase} | "
                       f"{a.fmt()} | {b.fmt()} | {ab.fmt('x', 2)} ({ab.n}) | "
                       f"{'-' if s is None else f'{s:.2f}'} | {verdict} | "
                       f"{a.count()}, {b.count()} |")
        self.p()
        for phase in ("swapon", "swapoff"):
            r = [v for p, v in ratios if p == phase]
            if r:
                self.p(f"{phase} B/A over the {len(r)} files with same-map pairs: geometric "
                       f"mean {statistics.geometric_mean(r):.3f}, from {min(r):.2f} to "
                       f"{max(r):.2f}.")
        self.p()

    def validation(self):
        rows = self.d["validation"]
        if not rows:
            return
        self.p("### Validation cost (series, XFS fsdax files of 1 GiB)")
        self.p()
        self.p("Pins of 4 KiB and of the whole of 1 GiB files made of 1 to 65536 extents "
               "(asked / counted by FIEMAP), next to 4 KiB of anonymous memory.  The "
               "filesystem validates the pinned range's block map, so the 1 GiB pin walks "
               "every extent of the file and the 4 KiB pin one.")
        self.p()
        self.p("The last two columns compare each file's 1 GiB pin with that of the "
               "least fragmented file: the difference, and that difference per extent "
               "more.")
        self.p()
        self.p("| via | extents (asked / FIEMAP) | anon 4 KiB | file 4 KiB | file 1 GiB | boots×reps | 1 GiB minus least fragmented | ns per extent more |")
        self.p("|---|---|---|---|---|---|---|---|")
        fits = {}
        for via in ("verbs", "gup_test"):
            ns = sorted({int(r["n"]) for r in pick(rows, via=via)})
            base1g, count = None, "-"
            pts = {4096: [], GIB: []}
            for n in ns:
                sel = dict(kernel="series", via=via, n=n, phase="repeat")
                got = int(pick(rows, n=n)[0]["got"])
                anon = Fig.of(pick(rows, backing="anon", size=4096, **sel))
                small = Fig.of(pick(rows, backing="fsdax-xfs", size=4096, **sel))
                big = Fig.of(pick(rows, backing="fsdax-xfs", size=GIB, **sel))
                if not small or not big:
                    continue
                count = big.count()
                pts[4096].append((got, small.med))
                pts[GIB].append((got, big.med))
                if base1g is None:
                    base1g = (got, big.med)
                extra = big.med - base1g[1]
                per = f"{extra / (got - base1g[0]):.0f}" if got > base1g[0] else "-"
                self.p(f"| {via} | {n} / {got} | {anon.fmt()} | {small.fmt()} | {big.fmt()} | "
                       f"{big.count()} | {extra / 1e6:.3f} | {per} |")
            fits[via] = {s: fit(p) for s, p in pts.items()}
            fits[via]["npts"], fits[via]["count"] = len(pts[GIB]), count
            fits[via]["small"] = statistics.median(y for _, y in pts[4096]) if pts[4096] else None
        self.p()
        self.p("Cost model fitted by least squares on the medians, per pinning path: "
               "time = a + b × extents in the pinned range + c × GiB pinned.  b, the "
               "validation cost per extent, is the slope of the 1 GiB pins over the "
               "files' extent counts; c, the cost per GiB (pinning its pages, with the "
               "validation of a 1-extent GiB), is the 1 GiB fit at 0 extents minus the "
               "median 4 KiB pin; the slope of the 4 KiB pins over the file's extents "
               "shows what a small pin pays for a fragmented file.")
        self.p()
        self.p("| via | per extent (1 GiB pins), ns | per GiB, ms | 4 KiB pin slope, ns per extent of the file | from |")
        self.p("|---|---|---|---|---|")
        for via, f in fits.items():
            big, small, med4k = f[GIB], f[4096], f["small"]
            if not big or med4k is None:
                continue
            per_gib = big[0] - med4k
            self.p(f"| {via} | {big[1]:.1f} | {per_gib / 1e6:.3f} | "
                   f"{'-' if not small else f'{small[1]:.3f}'} | "
                   f"{f['npts']} files, medians of {f['count']} |")
        self.p()

    def perftest(self):
        rows = self.d["perftest"]
        if not rows:
            return
        self.p("### RDMA WRITE over rxe: server buffer on an fsdax file vs anonymous (series)")
        self.p()
        self.p("| tool | size | anon | fsdax-xfs | fsdax / anon | boots×reps |")
        self.p("|---|---|---|---|---|---|")
        for tool, unit in (("ib_write_bw", "MB/s"), ("ib_write_lat", "usec")):
            for size in (4096, 65536, 1048576):
                sel = dict(kernel="series", tool=tool, size=size)
                a = Fig.of(pick(rows, backing="anon", **sel), "value")
                f = Fig.of(pick(rows, backing="fsdax-xfs", **sel), "value")
                if not a or not f:
                    continue
                self.p(f"| {tool} | {human(size)} | {a.fmt('', 2)} {unit} | "
                       f"{f.fmt('', 2)} {unit} | {f.med / a.med:.3f} | {f.count()} |")
        self.p()
        retries = [r for b in self.boots for r in b.retries]
        if retries:
            self.p(f"{len(retries)} perftest runs gave no figure and were run again "
                   "(retries.log; under TCG perftest's clock estimate can fail and "
                   "ib_write_lat then prints \"inf\"): " + "; ".join(retries[:4]) +
                   (" ..." if len(retries) > 4 else "") + ".")
            self.p()

    def check_table(self):
        if not self.checks:
            return
        self.p("### Checks")
        self.p()
        self.p("| check | found | |")
        self.p("|---|---|---|")
        for what, found, ok in self.checks:
            self.p(f"| {what} | {found} | {'not compared' if ok is None else 'ok' if ok else 'FAIL'} |")
        self.p()

    def errors(self):
        bad = [b for b in self.boots if b.errors or b.status != "status=0"]
        if not bad:
            return
        self.p("### Errors")
        self.p()
        for b in bad:
            self.p(f"- boot {b.order} ({b.kernel} {b.index}, {b.status}): "
                   + ("; ".join(b.errors[:5]) or "no errors.log lines") +
                   (f" (and {len(b.errors) - 5} more)" if len(b.errors) > 5 else ""))
        self.p()

    def render(self):
        self.header()
        if self.d["reg"]:
            self.target_table()
            self.per_page()
            self.registration("verbs", "Pin cost by backing: ibv_reg_mr over rxe0")
            self.registration("gup_test", "Pin cost by backing: gup_test, no RDMA")
            self.unchanged_ab()
        self.swap()
        self.validation()
        self.perftest()
        self.check_table()
        self.errors()
        return "\n".join(self.lines) + "\n"


def write_blocks(path, blocks):
    """Write gnuplot data blocks [(title, [(x, median, min, max)])]; return
    [(index, title)] of the blocks that have points."""
    shown = []
    with open(path, "w") as f:
        for title, points in blocks:
            if not points:
                continue
            f.write(f"# {title}: x median min max\n")
            f.writelines(f"{x} {m} {lo} {hi}\n" for x, m, lo, hi in points)
            f.write("\n\n")
            shown.append((len(shown), title))
    return shown


def panel(path, shown, settings):
    """One plot of the multiplot, or a placeholder when it has no data."""
    if not shown:
        return ("set title 'no data'\nunset logscale\nset xrange [0:1]\nset yrange [0:1]\n"
                "plot 2 notitle\nset autoscale")
    return settings + "\nplot " + ", ".join(
        f"'{path}' index {i} with yerrorlines title '{t}'" for i, t in shown)


def plot(data, out):
    """bench.png: pin time per page by backing and size (verbs and gup_test,
    median and min..max across boots) and pin time by extent count."""
    lines = []
    for via in ("verbs", "gup_test"):
        blocks = []
        for backing in BACKINGS:
            points = []
            for size in SIZES:
                fig = Fig.of(pick(data["reg"], kernel="series", via=via, backing=backing,
                                  size=size, phase="repeat"))
                if fig:
                    k = 4096 / size
                    points.append((size, fig.med * k, fig.lo * k, fig.hi * k))
            blocks.append((backing, points))
        path = os.path.join(out, f"plot-{via}.dat")
        lines.append(panel(path, write_blocks(path, blocks),
                           f"set title \"{via}: pin time per 4 KiB page, series\\n"
                           "(median, min-max across boots)\"\n"
                           "set logscale xy\nset xlabel 'pinned bytes'\nset ylabel 'ns per page'\n"
                           "set xrange [2048:2147483648]\nset key top right\n"
                           "set xtics ('4K' 4096, '2M' 2097152, '64M' 67108864, '1G' 1073741824)"))
    blocks = []
    for size, title in ((4096, "4 KiB of the file"), (GIB, "the whole file")):
        points = []
        for n in sorted({int(r["n"]) for r in data["validation"]}):
            sel = pick(data["validation"], kernel="series", via="verbs",
                       backing="fsdax-xfs", size=size, n=n, phase="repeat")
            fig = Fig.of(sel)
            if fig:
                points.append((sel[0]["got"], fig.med / 1e6, fig.lo / 1e6, fig.hi / 1e6))
        blocks.append((title, points))
    path = os.path.join(out, "plot-validation.dat")
    lines.append("set xtics autofreq\nset autoscale x\n" +
                 panel(path, write_blocks(path, blocks),
                       "set title \"ibv_reg_mr of a 1 GiB XFS fsdax file\\n"
                       "by extent count (one boot)\"\nset key top left\n"
                       "set logscale xy\nset xlabel 'extents (FIEMAP)'\nset ylabel 'ms per pin'"))
    script = (f"set terminal png size 1650,550\nset output '{os.path.join(out, 'bench.png')}'\n"
              "set termoption noenhanced\nset multiplot layout 1,3\nset key font ',8'\n" +
              "\n".join(lines) + "\nunset multiplot\n")
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, runs = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    boots, data = load(runs, out)
    if not any(data[name] for name in FILES if name != "parts"):
        sys.exit("bench-report: no bench data in " + " ".join(runs))
    text = Report(boots, data).render()
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    plot(data, out)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
