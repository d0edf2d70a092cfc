#!/usr/bin/python3
"""Stage "bench report": tables, targets and a plot from bench runs.

    bench-report.py OUT_DIR RUN_DIR...

Reads RUN_DIR/guest/bench/*.csv (written by scripts/guest/job-bench.sh, one
run on the kernel with the series and one on the base kernel), writes
OUT_DIR/{reg,validation,perftest,swap,swap-extents}.csv (all runs),
OUT_DIR/results.md and OUT_DIR/bench.png, and prints results.md.  Every
ratio of the series boot is between two figures of that boot; only the swap
and anonymous-memory A/B compare two boots.  Exits 1 if a run has no data.
Uses the standard library only (Debian's python3) and gnuplot.
"""
import csv
import os
import statistics
import subprocess
import sys

FILES = {
    "reg": "kernel via backing size phase rep ns",
    "validation": "kernel n got via backing size phase rep ns",
    "perftest": "kernel tool backing size rep value",
    "swap": "kernel fs size layout phase rep ns",
    "swap-extents": "kernel fs size layout frag extents across count",
}
BACKINGS = ["anon", "thp", "shmem", "pagecache", "devdax", "fsdax-xfs", "fsdax-ext4"]
SIZES = [4096, 2 << 20, 64 << 20, 1 << 30]


def human(size):
    size = int(size)
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def load(runs, out):
    data = {name: [] for name in FILES}
    for run in runs:
        for name, cols in FILES.items():
            path = os.path.join(run, "guest", "bench", name + ".csv")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for row in csv.reader(f):
                    data[name].append(dict(zip(cols.split(), row)))
    for name, cols in FILES.items():
        with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols.split())
            for r in data[name]:
                w.writerow([r.get(c, "") for c in cols.split()])
    return data


def pick(rows, **want):
    return [r for r in rows if all(str(r.get(k)) == str(v) for k, v in want.items())]


def stats(values):
    """(median, spread): spread is (max - min) / median over the repetitions."""
    values = [float(v) for v in values]
    if not values:
        return None, None
    med = statistics.median(values)
    return med, (max(values) - min(values)) / med if med else 0.0


def ms(ns):
    return "-" if ns is None else f"{ns / 1e6:.3f}"


def pct(spread):
    return "-" if spread is None else f"±{50 * spread:.0f}%"


def ratio(a, b):
    return None if a is None or not b else a / b


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


class Report:
    def __init__(self, data):
        self.d = data
        self.lines = []
        self.targets = []

    def p(self, line=""):
        self.lines.append(line)

    def reg_median(self, rows, kernel, via, backing, size, phase="repeat"):
        vals = [r["ns"] for r in pick(rows, kernel=kernel, via=via, backing=backing,
                                      size=size, phase=phase)]
        return stats(vals)

    def refused(self, kernel, via, backing, size):
        return pick(self.d["reg"], kernel=kernel, via=via, backing=backing, size=size,
                    phase="refused")

    def registration(self, via, title):
        rows = self.d["reg"]
        self.p(f"### {title}")
        self.p()
        self.p("Median time of one pin (repeated pins; first pin in brackets), "
               "±half the min-max spread, time per 4 KiB page, and ratios of the "
               "repeated medians to anonymous memory and to device-DAX.")
        self.p()
        self.p("| backing | size | pin ms (first) | spread | ns/page | vs anon | vs devdax | release ms |")
        self.p("|---|---|---|---|---|---|---|---|")
        for backing in BACKINGS:
            for size in SIZES:
                if self.refused("series", via, backing, size):
                    err = self.refused("series", via, backing, size)[0]["ns"]
                    self.p(f"| {backing} | {human(size)} | refused (errno {err}) | | | | | |")
                    continue
                med, spr = self.reg_median(rows, "series", via, backing, size)
                if med is None:
                    continue
                first, _ = self.reg_median(rows, "series", via, backing, size, "first")
                anon, _ = self.reg_median(rows, "series", via, "anon", size)
                ddax, _ = self.reg_median(rows, "series", via, "devdax", size)
                rel, _ = self.reg_median(rows, "series", via, backing, size, "release")
                self.p(f"| {backing} | {human(size)} | {ms(med)} ({ms(first)}) | {pct(spr)} | "
                       f"{med / (size // 4096):.0f} | {fmt_ratio(ratio(med, anon))} | "
                       f"{fmt_ratio(ratio(med, ddax))} | {ms(rel)} |")
        self.p()

    def registration_targets(self):
        rows = self.d["reg"]
        for fs in ("xfs", "ext4"):
            med, _ = self.reg_median(rows, "series", "verbs", f"fsdax-{fs}", 1 << 30)
            anon, _ = self.reg_median(rows, "series", "verbs", "anon", 1 << 30)
            ddax, _ = self.reg_median(rows, "series", "verbs", "devdax", 1 << 30)
            r1, r2 = ratio(med, anon), ratio(med, ddax)
            self.target(f"ibv_reg_mr of 1 GiB of fsdax ({fs}), repeated, vs anonymous",
                        r1, 1.5, "<=")
            self.target(f"ibv_reg_mr of 1 GiB of fsdax ({fs}), repeated, vs device-DAX",
                        r2, 1.2, "<=")

    def target(self, what, value, limit, op):
        if value is None:
            self.targets.append(f"| {what} | {op} {limit} | not measured | missed |")
            return
        met = value <= limit if op == "<=" else value >= limit
        self.targets.append(f"| {what} | {op} {limit} | {value:.3f} | {'met' if met else 'missed'} |")

    def validation(self):
        rows = self.d["validation"]
        if not rows:
            return
        self.p("### Validation scaling (XFS, 1 GiB files)")
        self.p()
        self.p("The filesystem walks the whole file at every pin, whatever the range: "
               "validation is estimated as the 4 KiB pin of the file minus the 4 KiB "
               "pin of anonymous memory measured next to it, and compared with the "
               "pin of the whole file.")
        self.p()
        self.p("| via | extents (asked / FIEMAP) | anon 4 KiB ms | file 4 KiB ms | validation ms | file 1 GiB ms | validation share |")
        self.p("|---|---|---|---|---|---|---|")
        for via in ("verbs", "gup_test"):
            for n in sorted({int(r["n"]) for r in rows}):
                sel = dict(kernel="series", via=via, n=n, phase="repeat")
                got = pick(rows, n=n)[0]["got"]
                anon, _ = stats(r["ns"] for r in pick(rows, backing="anon", size=4096, **sel))
                small, spr = stats(r["ns"] for r in pick(rows, backing="fsdax-xfs", size=4096, **sel))
                big, _ = stats(r["ns"] for r in pick(rows, backing="fsdax-xfs", size=1 << 30, **sel))
                if None in (anon, small, big):
                    continue
                val = max(small - anon, 0.0)
                share = val / big
                self.p(f"| {via} | {n} / {got} | {ms(anon)} | {ms(small)} {pct(spr)} | "
                       f"{ms(val)} | {ms(big)} | {100 * share:.2f}% |")
                if via == "verbs" and n == 1:
                    self.target(f"validation of a 1 GiB file of {got} extent(s) / its ibv_reg_mr",
                                share, 0.02, "<=")
        self.p()

    def perftest(self):
        rows = self.d["perftest"]
        if not rows:
            return
        self.p("### RDMA WRITE over rxe: server buffer on an fsdax file vs anonymous")
        self.p()
        self.p("| tool | size | anon | fsdax-xfs | fsdax / anon |")
        self.p("|---|---|---|---|---|")
        for tool, unit in (("ib_write_bw", "MB/s"), ("ib_write_lat", "usec")):
            for size in (4096, 65536, 1048576):
                sel = dict(kernel="series", tool=tool, size=size)
                a, aspr = stats(r["value"] for r in pick(rows, backing="anon", **sel))
                f, fspr = stats(r["value"] for r in pick(rows, backing="fsdax-xfs", **sel))
                if a is None or f is None:
                    continue
                self.p(f"| {tool} | {human(size)} | {a:.2f} {unit} {pct(aspr)} | "
                       f"{f:.2f} {unit} {pct(fspr)} | {f / a:.3f} |")
                if tool == "ib_write_bw":
                    self.target(f"ib_write_bw {human(size)} into fsdax / anonymous", f / a, 0.95, ">=")
        self.p()

    def swap(self):
        rows, ext = self.d["swap"], self.d["swap-extents"]
        if not rows:
            return
        self.p("### swapon and swapoff, base kernel (A) vs the series (B), two boots")
        self.p()
        self.p("Median (min-max) of 10 swapon/swapoff cycles of each file.  Each boot "
               "makes its files anew: the fragmented ones (free space fragmented by "
               "bench_frag, 1 MiB holes) can come out differently, so for them the "
               "check is that the kernel's extent count equals FIEMAP's in each boot; "
               "A and B maps are compared where both boots made the same file.")
        self.p()
        self.p("| fs | size | layout | swapon A ms | swapon B ms | B/A | swapoff A ms | swapoff B ms | B/A | extents, span A | extents, span B |")
        self.p("|---|---|---|---|---|---|---|---|---|---|---|")
        ratios = []
        for fs in ("xfs", "ext4"):
            for size in (256 << 20, 2 << 30):
                for layout in ("contiguous", "fragmented"):
                    sel = dict(fs=fs, size=size, layout=layout)
                    cells = []
                    for phase in ("swapon", "swapoff"):
                        figs = []
                        for k in ("base", "series"):
                            vals = [float(r["ns"]) for r in pick(rows, kernel=k, phase=phase, **sel)]
                            figs.append(statistics.median(vals) if vals else None)
                            cells.append(f"{ms(figs[-1])} ({ms(min(vals))}-{ms(max(vals))})"
                                         if vals else "-")
                        cells.append(fmt_ratio(ratio(figs[1], figs[0])))
                        if phase == "swapon" and ratio(figs[1], figs[0]) is not None:
                            ratios.append(figs[1] / figs[0])
                    maps, fiemap = [], []
                    for k in ("base", "series"):
                        m = pick(ext, kernel=k, **sel)
                        maps.append("; ".join(f"{r['extents']}, {r['across']}k (x{r['count']})" for r in m) or "-")
                        fiemap.append({r["frag"] for r in m})
                        for r in m:
                            if r["frag"]:
                                self.target(f"swapon extents == FIEMAP extents, {k}, {fs} {human(size)} {layout}",
                                            1.0 if r["frag"] == r["extents"] else 0.0, 1.0, ">=")
                    self.p(f"| {fs} | {human(size)} | {layout} | " + " | ".join(cells) +
                           f" | {maps[0]} | {maps[1]} |")
                    if "-" not in maps and fiemap[0] == fiemap[1]:
                        self.target(f"swap extent map {fs} {human(size)} {layout}: A == B",
                                    1.0 if maps[0] == maps[1] else 0.0, 1.0, ">=")
        if ratios:
            gmean = statistics.geometric_mean(ratios)
            self.p()
            self.p(f"swapon B/A over the {len(ratios)} files: geometric mean {gmean:.3f}, "
                   f"from {min(ratios):.2f} to {max(ratios):.2f}.")
            self.target("swapon B/A, geometric mean of the files", gmean, 1.05, "<=")
            self.target("swapon B/A, worst file", max(ratios), 1.05, "<=")
        self.p()

    def anon_ab(self):
        rows = self.d["reg"]
        if not pick(rows, kernel="base"):
            return
        self.p("### ibv_reg_mr of memory the series does not pin differently: A vs B, two boots")
        self.p()
        self.p("| backing | size | A (base) ms | B (series) ms | B/A |")
        self.p("|---|---|---|---|---|")
        for backing in ("anon", "shmem", "devdax"):
            for size in SIZES:
                a, _ = self.reg_median(rows, "base", "verbs", backing, size)
                b, _ = self.reg_median(rows, "series", "verbs", backing, size)
                if a is None or b is None:
                    continue
                self.p(f"| {backing} | {human(size)} | {ms(a)} | {ms(b)} | {fmt_ratio(b / a)} |")
        self.p()

    def render(self):
        self.p("## Benchmark results")
        self.p()
        self.registration("verbs", "Pin cost by backing: ibv_reg_mr over rxe0")
        self.registration("gup_test", "Pin cost by backing: gup_test, no RDMA")
        self.registration_targets()
        self.validation()
        self.perftest()
        self.swap()
        self.anon_ab()
        self.p("### Targets")
        self.p()
        self.p("| target | wanted | measured | |")
        self.p("|---|---|---|---|")
        self.lines += self.targets
        self.p()
        return "\n".join(self.lines) + "\n"


def plot(data, out):
    """bench.png: pin time per page by backing (verbs and gup_test) and
    validation by extent count."""
    dat = os.path.join(out, "plot-reg.dat")
    with open(dat, "w") as f:
        for via in ("verbs", "gup_test"):
            for backing in BACKINGS:
                f.write(f"# {via} {backing}\n")
                for size in SIZES:
                    med, _ = stats(r["ns"] for r in pick(data["reg"], kernel="series", via=via,
                                                         backing=backing, size=size, phase="repeat"))
                    if med is not None:
                        f.write(f"{size} {med / (size // 4096)}\n")
                f.write("\n\n")
    vdat = os.path.join(out, "plot-validation.dat")
    with open(vdat, "w") as f:
        for size in (4096, 1 << 30):
            for n in sorted({int(r["n"]) for r in data["validation"]}):
                med, _ = stats(r["ns"] for r in pick(data["validation"], kernel="series", via="verbs",
                                                     backing="fsdax-xfs", size=size, n=n, phase="repeat"))
                if med is not None:
                    f.write(f"{n} {med / 1e6}\n")
            f.write("\n\n")
    idx = 0
    lines = []
    for via in ("verbs", "gup_test"):
        curves = []
        for backing in BACKINGS:
            curves.append(f"'{dat}' index {idx} with linespoints title '{backing}'")
            idx += 1
        lines.append(f"set title 'pin cost per 4 KiB page, {via} (series, repeated pins)'\n"
                     "set logscale xy\nset xlabel 'pinned bytes'\nset ylabel 'ns per page'\n"
                     "set xtics ('4K' 4096, '2M' 2097152, '64M' 67108864, '1G' 1073741824)\n"
                     "plot " + ", ".join(curves))
    lines.append("set xtics autofreq")
    if not data["validation"]:
        lines.append("set title 'no validation data'\nunset logscale\nplot 0 notitle")
    else:
        lines.append("set title 'ibv_reg_mr of a 1 GiB XFS fsdax file by extent count'\n"
                     "set logscale xy\nset xlabel 'extents asked'\nset ylabel 'ms per registration'\n"
                     f"plot '{vdat}' index 0 with linespoints title '4 KiB of the file', "
                     f"'{vdat}' index 1 with linespoints title 'the whole file'")
    script = (f"set terminal png size 1500,500\nset output '{os.path.join(out, 'bench.png')}'\n"
              "set termoption noenhanced\nset multiplot layout 1,3\nset key top right font ',8'\n" + "\n".join(lines) +
              "\nunset multiplot\n")
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, runs = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    data = load(runs, out)
    if not data["reg"]:
        sys.exit("bench-report: no registration data in " + " ".join(runs))
    text = Report(data).render()
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    plot(data, out)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
