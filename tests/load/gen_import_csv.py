#!/usr/bin/env python3
"""Writes a bulk-load CSV of N single-option positions (docs/imports.md's columns) for the
import benchmark: valid fiscal codes (check character computed), notice numbers left empty so
the load allocates them, one transfer to the Ente's own account.

usage: gen_import_csv.py ROWS OUT.csv [--prefix TARI27]
"""
import sys

ODD = {**{str(d): v for d, v in zip("0123456789", [1, 0, 5, 7, 9, 13, 15, 17, 19, 21])},
       **{c: v for c, v in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                               [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23])}}
EVEN = {**{str(d): d for d in range(10)}, **{c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}}
MONTHS = "ABCDEHLMPRST"


def fiscal_code(n):
    """A valid 16-character code, different for every n below 26^3 * 28 * 12 * 100."""
    letters = "BCDFGHLMNPRSTVZ"
    surname = letters[n % 15] + letters[(n // 15) % 15] + letters[(n // 225) % 15]
    name = letters[(n // 3375) % 15] + "RA"
    year = "%02d" % (40 + (n // 50625) % 60)
    month = MONTHS[(n // 3037500) % 12]
    day = "%02d" % (1 + n % 28)
    body = surname + name + year + month + day + "B157"
    total = sum(ODD[c] if i % 2 == 0 else EVEN[c] for i, c in enumerate(body))
    return body + chr(ord("A") + total % 26)


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    prefix = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--prefix" else "TARI27"
    header = ("position_id,option_kind,option_index,notice_number,amount_cents,due_date,description,"
              "debtor_type,debtor_fiscal_code,debtor_name,debtor_city,t1_category,t1_remittance\n")
    with open(out, "w", buffering=1 << 20) as f:
        f.write(header)
        for n in range(rows):
            f.write("%s-%07d,single,0,,%d,2027-06-30,TARI 2027 acconto,F,%s,Contribuente %d,Brescia,9/0101108TS/,TARI 2027 utenza %d\n"
                    % (prefix, n, 10_000 + n % 90_000, fiscal_code(n), n, n))


if __name__ == "__main__":
    main()
