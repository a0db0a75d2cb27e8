#!/usr/bin/python3
"""Damaged results files: no crash, one line.

usage: test_corrupt_results.py LATENTBENCH

Makes a good results file (a tiny `latentbench run --quick` of two cases) and
an A/B file (`latentbench ab` of the build against a copy of itself), then
COPIES copies of the run (COPIES/4 of the A/B file) with 1-4 random bytes
changed (fixed seed) and a set of truncations of each, and runs `compare`, `report` and `baseline show --dir` on every
copy. Each command must end on its own (no signal, within the timeout) with an
exit status in {0, 1, 2, 65, 66}, print no sanitizer report and no HDF5
diagnostics, and print at most one `latentbench:` error line (exactly one,
and nothing else on stderr, when it fails).

environment: LB_CORRUPT_COPIES (copies per good file, default 250; the
sanitizer build uses fewer), LB_CORRUPT_SEED (default 20261202), LB_CORRUPT_JOBS
(parallel commands, default 2).
"""

import concurrent.futures
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile

OK_EXITS = {0, 1, 2, 65, 66}
BAD_WORDS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error", "Segmentation",
             "core dumped", "HDF5-DIAG")
TIMEOUT_S = 60
TINY = ["--suite", "ci", "--quick", "--warm-up-time", "0.01", "--measurement-time", "0.05"]


def run(args, env=None, cwd=None):
    return subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                          timeout=TIMEOUT_S, env=env, cwd=cwd)


def make_good(lb, work, env):
    files = {}
    run_h5 = os.path.join(work, "run.h5")
    p = run([lb, "run", *TINY, "--filter", "^(add_embedding/128|knn_search/dim_128/10)$", "-o", run_h5], env=env)
    if p.returncode != 0:
        sys.exit(f"test_corrupt_results: the good run failed ({p.returncode}): {p.stderr}")
    files["run"] = run_h5
    # A/B: the library beside the binary against a copy of it (one loaded copy would be refused).
    libs = sorted(glob.glob(os.path.join(os.path.dirname(lb), "liblatent.so.*.*")))
    if libs:
        copy = os.path.join(work, "liblatent_a.so")
        shutil.copy(libs[0], copy)
        ab_h5 = os.path.join(work, "ab.h5")
        p = run([lb, "ab", "--baseline-lib", copy, "--candidate-lib", libs[0], *TINY, "--filter",
                 "^add_embedding/128$", "-o", ab_h5], env=env)
        if p.returncode in (0, 1, 2) and os.path.exists(ab_h5):
            files["ab"] = ab_h5
        else:
            print(f"test_corrupt_results: no A/B file ({p.returncode}): {p.stderr.strip()}", file=sys.stderr)
    return files


def damaged(data, rng, copies):
    """(label, bytes): copies with 1-4 changed bytes, then truncations."""
    for k in range(copies):
        b = bytearray(data)
        where = []
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(b))
            b[at] ^= rng.randint(1, 255)
            where.append(at)
        yield f"flip {k} at {where}", bytes(b)
    n = len(data)
    for cut in sorted({0, 1, 7, 8, 64, 512, n // 4, n // 2, n - 4096, n - 512, n - 64, n - 1}):
        if 0 <= cut < n:
            yield f"truncated to {cut} bytes", data[:cut]


def check(label, what, p):
    """The problems of one command's result, as strings."""
    bad = []
    if p.returncode < 0:
        bad.append(f"killed by signal {-p.returncode}")
    elif p.returncode not in OK_EXITS:
        bad.append(f"exit {p.returncode}")
    lines = p.stderr.splitlines()
    for w in BAD_WORDS:
        if w in p.stderr:
            bad.append(f"stderr mentions {w!r}")
    errors = [ln for ln in lines if ln.startswith("latentbench: ") and not ln.startswith("latentbench: warning: ")]
    others = [ln for ln in lines if not ln.startswith("latentbench: ")]
    if len(errors) > 1:
        bad.append(f"{len(errors)} error lines")
    if p.returncode >= 64 and (len(errors) != 1 or others):
        bad.append("not exactly one error line")
    return [f"{label}: {what}: {b}\n    stderr: {p.stderr.strip()[:600]}" for b in bad]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lb = os.path.abspath(sys.argv[1])
    copies = int(os.environ.get("LB_CORRUPT_COPIES", "250"))
    seed = int(os.environ.get("LB_CORRUPT_SEED", "20261202"))
    jobs = int(os.environ.get("LB_CORRUPT_JOBS", "2"))
    env = dict(os.environ, LC_ALL="C")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    print(f"test_corrupt_results: LB_CORRUPT_SEED={seed} LB_CORRUPT_COPIES={copies}")
    failures = []
    with tempfile.TemporaryDirectory(prefix="lb_corrupt_") as work:
        good = make_good(lb, work, env)
        rng = random.Random(seed)
        cases = []
        for name, path in good.items():
            with open(path, "rb") as fh:
                data = fh.read()
            # the A/B file shares most of its structure with the run: a quarter as many copies
            for k, (label, blob) in enumerate(damaged(data, rng, copies if name == "run" else copies // 4)):
                d = os.path.join(work, f"{name}-{k}")
                os.mkdir(d)
                bad = os.path.join(d, "bad.h5")
                with open(bad, "wb") as fh:
                    fh.write(blob)
                cases.append((f"{name} {label}", path, d, bad))

        # A baseline store per good file, holding it as the newest baseline of its machine; each
        # damaged copy then takes its place in a copy of the store (save itself refuses bad files).
        stores = {}
        for name, path in good.items():
            stores[path] = os.path.join(work, f"store-{name}")
            p = run([lb, "baseline", "save", path, "--dir", stores[path]], env=env, cwd=work)
            if p.returncode != 0 or len(glob.glob(os.path.join(stores[path], "*", "*", "*.h5"))) != 1:
                sys.exit(f"test_corrupt_results: baseline save of {path} failed ({p.returncode}): {p.stderr}")

        def one(case):
            label, good_path, d, bad = case
            out = []
            out += check(label, "compare", run([lb, "compare", good_path, bad], env=env, cwd=d))
            out += check(label, "report", run([lb, "report", bad, "--format", "json"], env=env, cwd=d))
            store = os.path.join(d, "store")
            shutil.copytree(stores[good_path], store)
            shutil.copy(bad, glob.glob(os.path.join(store, "*", "*", "*.h5"))[0])
            out += check(label, "baseline show", run([lb, "baseline", "show", "--results", good_path, "--dir", store],
                                                     env=env, cwd=d))
            shutil.rmtree(d, ignore_errors=True)
            return out

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for out in pool.map(one, cases):
                failures += out
        print(f"test_corrupt_results: {len(cases)} damaged files ({', '.join(good)}), 3 commands each")
    for f in failures[:40]:
        print("FAIL:", f)
    print(f"test_corrupt_results: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: {' '.join(map(str, e.cmd))} did not end within {e.timeout} s")
        sys.exit(1)
