#!/usr/bin/python3
"""
edit_prices.py - derives the golden edge-case price files from a generated
universe (used by regen.sh only; the tests never run Python).

  edit_prices.py IN.csv OUT.csv OP [OP ...]

Operations, applied in the order given (rows keep the input's order unless an
operation appends):
  strip                    keep only the symbol,date,close columns
  drop=A,B                 remove every row of symbols A and B
  const=SYM:CLOSE          every close of SYM becomes CLOSE (text, as written)
  set=SYM@DATE:CLOSE       the close of SYM on DATE becomes CLOSE (row must exist)
  add=SYM@DATE:CLOSE       insert a row for SYM on DATE (a weekend or holiday),
                           right after SYM's last row dated before DATE
  dup=SYM@DATE:CLOSE       append a second (symbol,date) row at the END of the
                           file; the last row wins, so CLOSE is the value used
  dupnear=SYM@DATE:CLOSE   the same, inserted right after the original row
  dupbefore=SYM@DATE:CLOSE insert a row with CLOSE right BEFORE the original
                           row, so the original (the last one) still wins
  rename=OLD:NEW           rename a symbol (e.g. to lower case)
"""
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    src, dst, ops = argv[0], argv[1], argv[2:]
    with open(src, newline="") as f:
        lines = f.read().splitlines()
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:] if ln]
    isym, idate, iclose = header.index("symbol"), header.index("date"), header.index("close")

    def find(sym, day):
        for i, r in enumerate(rows):
            if r[isym] == sym and r[idate] == day:
                return i
        raise SystemExit(f"edit_prices: no row {sym} {day}")

    def parse(arg):  # SYM@DATE:CLOSE
        left, close = arg.rsplit(":", 1)
        sym, day = left.split("@")
        return sym, day, close

    def blank_row(sym, day, close):
        r = [""] * len(header)
        r[isym], r[idate], r[iclose] = sym, day, close
        for k, name in enumerate(header):  # plausible other columns
            if name in ("open", "high", "low"):
                r[k] = close
            elif name == "volume":
                r[k] = "1000"
        return r

    for op in ops:
        name, _, arg = op.partition("=")
        if name == "strip":
            rows = [[r[isym], r[idate], r[iclose]] for r in rows]
            header = ["symbol", "date", "close"]
            isym, idate, iclose = 0, 1, 2
        elif name == "drop":
            gone = set(arg.split(","))
            rows = [r for r in rows if r[isym] not in gone]
        elif name == "const":
            sym, close = arg.split(":")
            for r in rows:
                if r[isym] == sym:
                    r[iclose] = close
        elif name == "set":
            sym, day, close = parse(arg)
            rows[find(sym, day)][iclose] = close
        elif name == "add":
            sym, day, close = parse(arg)
            pos = max(i for i, r in enumerate(rows) if r[isym] == sym and r[idate] < day) + 1
            rows.insert(pos, blank_row(sym, day, close))
        elif name in ("dup", "dupnear", "dupbefore"):
            sym, day, close = parse(arg)
            i = find(sym, day)
            r = list(rows[i])
            r[iclose] = close
            if name == "dup":
                rows.append(r)
            elif name == "dupnear":
                rows.insert(i + 1, r)
            else:
                rows.insert(i, r)
        elif name == "rename":
            old, new = arg.split(":")
            for r in rows:
                if r[isym] == old:
                    r[isym] = new
        else:
            raise SystemExit(f"edit_prices: unknown operation {op}")

    with open(dst, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
