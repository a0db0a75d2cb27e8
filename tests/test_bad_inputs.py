#!/usr/bin/env python3
"""Runs every row of docs/BAD-INPUTS.md as a test.

usage: test_bad_inputs.py LATENTBENCH_BINARY SOURCE_DIR
env:   BAD_INPUTS_ONLY=S01,O1  run only the rows whose id starts with one of these
       BAD_INPUTS_KEEP=1       keep the temporary directory

Each row: | id | `bash command` | exit | `stderr line glob` |. See the page itself
for what is checked; the checks are the functions below.
"""
import fnmatch
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 60
MIN_ROWS = 60
CRASH_MARKS = ("Sanitizer", "runtime error:", "Segmentation", "core dumped", "Aborted",
               "Process received signal", "stack smashing", "double free", "free(): ")
# files a failed command must not leave behind in its working directory
OUTPUT_GLOBS = ("*.h5", "*.tmp*", "*.json", "*.md", "*.csv", "*.toml", "*.html")


def split_row(line):
    """Cells of a Markdown table row; '\\|' is a literal bar."""
    cells, cur, i = [], [], 0
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if body[i] == "|":
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(body[i])
        i += 1
    cells.append("".join(cur).strip())
    return cells


def unquote(cell):
    if len(cell) >= 2 and cell[0] == "`" and cell[-1] == "`":
        return cell[1:-1]
    return cell


def parse_rows(doc):
    rows, section = [], ""
    with open(doc, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("## "):
                section = line[3:].strip()
            if not line.startswith("|"):
                continue
            cells = split_row(line)
            if len(cells) != 4 or cells[0] in ("id", "") or set(cells[0]) <= set("-: "):
                continue
            try:
                want = int(cells[2])
            except ValueError:
                sys.exit(f"{doc}:{n}: exit '{cells[2]}' is not an integer")
            line_glob = unquote(cells[3])
            rows.append({"id": cells[0], "cmd": unquote(cells[1]), "exit": want,
                         "line": None if line_glob in ("—", "-", "") else line_glob,
                         "section": section, "where": f"{doc}:{n}"})
    return rows


def tree_digest(root):
    """path -> digest of every entry under root (symlinks by target, FIFOs by kind)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                out[rel] = h.hexdigest()
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = "dir"
            else:
                out[rel] = "special:%o" % stat.S_IFMT(st.st_mode)
    return out


# The latentbench on PATH: records what its working directory held just
# before the (last) call, so files a row's own setup made are not blamed on it.
WRAPPER = """#!/bin/bash
if [ -n "$LB_SNAP" ]; then
  ( find . -maxdepth 3 -type f -print0 2>/dev/null | xargs -0 -r sha256sum 2>/dev/null ) > "$LB_SNAP.$$" && mv -f "$LB_SNAP.$$" "$LB_SNAP"
fi
exec "$LB_REAL" "$@"
"""


def run(cmd, env, cwd):
    """(exit status, stderr, seconds); exit None on timeout."""
    t0 = time.monotonic()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = p.communicate(timeout=TIMEOUT_S)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        rc = None
    if rc is not None and rc < 0:
        rc = 128 - rc
    return rc, err.decode("utf-8", "replace"), time.monotonic() - t0


def normalise(text, paths):
    for real, name in paths:
        text = text.replace(real, name)
    return text


def read_snapshot(path):
    snap = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                digest, _, name = line.rstrip("\n").partition("  ")
                snap[os.path.normpath(name)] = digest
    except FileNotFoundError:
        return None
    return snap


def check_row(row, rc, err, elapsed, tdir, snap):
    problems = []
    if rc is None:
        return [f"no exit within {TIMEOUT_S} s"]
    if rc != row["exit"]:
        problems.append(f"exit {rc}, want {row['exit']}")
    for mark in CRASH_MARKS:
        if mark in err:
            problems.append(f"stderr mentions '{mark}'")
            break
    lines = err.splitlines()
    if row["line"] is not None and not any(fnmatch.fnmatchcase(l, row["line"]) for l in lines):
        problems.append(f"no stderr line matches `{row['line']}`")
    if row["exit"] >= 64:
        errors = [l for l in lines if l.startswith("latentbench: ") and not l.startswith("latentbench: warning: ")]
        if len(errors) != 1:
            problems.append(f"{len(errors)} error lines, want 1")
        if not row["cmd"].lstrip().startswith("mpirun"):
            other = [l for l in lines if not l.startswith("latentbench: ")]
            if other:
                problems.append(f"stray stderr line '{other[0][:120]}'")
        if snap is not None:
            now = {}
            for dirpath, _, files in os.walk(tdir):
                for name in files:
                    rel = os.path.normpath(os.path.relpath(os.path.join(dirpath, name), tdir))
                    now[rel] = True
            for rel in sorted(now):
                if rel not in snap and any(fnmatch.fnmatch(os.path.basename(rel), g) for g in OUTPUT_GLOBS):
                    problems.append(f"left a file behind: {rel}")
            for rel, digest in snap.items():
                p = os.path.join(tdir, rel)
                if not os.path.exists(p):
                    problems.append(f"removed {rel}")
                    continue
                if os.path.isfile(p):
                    with open(p, "rb") as f:
                        if hashlib.sha256(f.read()).hexdigest() != digest:
                            problems.append(f"changed {rel}")
    return problems


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, src = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
    rows = parse_rows(os.path.join(src, "docs", "BAD-INPUTS.md"))
    only = [p for p in os.environ.get("BAD_INPUTS_ONLY", "").split(",") if p]
    ids = [r["id"] for r in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        sys.exit(f"duplicate ids in docs/BAD-INPUTS.md: {', '.join(dup)}")
    if only:
        rows = [r for r in rows if any(r["id"].startswith(p) for p in only)]
    elif len(rows) < MIN_ROWS:
        print(f"FAIL docs/BAD-INPUTS.md lists {len(rows)} cases, want at least {MIN_ROWS}")
        return 1

    top = tempfile.mkdtemp(prefix="lb-bad-")
    bindir, gdir, snapdir = (os.path.join(top, d) for d in ("bin", "g", "snap"))
    for d in (bindir, gdir, snapdir):
        os.mkdir(d)
    wrapper = os.path.join(bindir, "latentbench")
    with open(wrapper, "w") as f:
        f.write(WRAPPER)
    os.chmod(wrapper, 0o755)
    fdir = os.path.join(src, "tests", "bad_inputs")
    # a row sees no LATENTBENCH_* setting of the caller's but the leak check
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LATENTBENCH_") or k == "LATENTBENCH_CHECK_LEAKS"}
    env.update({"PATH": bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin"), "LB_REAL": binary,
                "F": fdir, "G": gdir, "LC_ALL": "C.UTF-8",
                "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    env.pop("LB_SNAP", None)

    setup_dir = os.path.join(fdir, "setup.d")
    for name in sorted(os.listdir(setup_dir)) if os.path.isdir(setup_dir) else []:
        if not name.endswith(".sh"):
            continue
        p = subprocess.run(["bash", "-e", os.path.join(setup_dir, name)], cwd=gdir, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            print(f"FAIL setup {name}: exit {p.returncode}\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
            return 1
    before = tree_digest(gdir)

    paths = []
    for real, name in ((gdir, "$G"), (fdir, "$F")):
        paths += [(real, name)] + ([(os.path.realpath(real), name)] if os.path.realpath(real) != real else [])
    failed = 0
    for row in rows:
        tdir = os.path.join(top, "t-" + re.sub(r"[^A-Za-z0-9_-]", "_", row["id"]))
        os.mkdir(tdir)
        snap_file = os.path.join(snapdir, row["id"])
        renv = dict(env, T=tdir, LB_SNAP=snap_file)
        rc, err, elapsed = run(row["cmd"], renv, tdir)
        err = normalise(err, [(tdir, "$T")] + paths)
        problems = check_row(row, rc, err, elapsed, tdir, read_snapshot(snap_file))
        if problems:
            failed += 1
            print(f"FAIL {row['id']} ({row['where']}): {'; '.join(problems)}\n     $ {row['cmd']}")
            for l in err.splitlines()[:8]:
                print(f"     | {l[:200]}")
        else:
            print(f"ok   {row['id']} ({elapsed:.1f} s)")
    after = tree_digest(gdir)
    if after != before:
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        print(f"FAIL generated fixtures changed by the rows: {', '.join(changed[:10])}")
        failed += 1
    print(f"{len(rows) - failed if failed <= len(rows) else 0} of {len(rows)} rows ok")
    if os.environ.get("BAD_INPUTS_KEEP"):
        print(f"kept {top}")
    else:
        shutil.rmtree(top, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
