#!/usr/bin/python3
"""Checks .github/workflows/benchmarks.yml against the repository (docs/CI.md).

usage: test_workflow.py SOURCE_DIR LATENTBENCH [WORKFLOW.yml]

A workflow is only run by GitHub, after a push: a misspelt script, option or
target shows up there, late. This test reads the workflow and checks that

- it parses as YAML and has the design's shape: pull_request and push on main,
  a nightly schedule; a test job (scripts/test.sh or ctest) on pull requests
  and pushes; on pull requests `scripts/benchmark_ci.sh --ab BASE`, the report
  as a comment and the results uploaded; on pushes the baseline run and
  scripts/update_baseline.sh; a scheduled full-suite run; artifacts of each;
  every gate's status acted on in a later step that lets 2 (improvements) pass;
- every step's script passes shellcheck (as bash, the workflow's shell);
- every script it runs exists, passes `bash -n`, is executable when run
  directly, and accepts each option given (the options its `case` parses);
- every `latentbench COMMAND` exists (`latentbench help COMMAND` exits 0) and
  accepts each option (those `help COMMAND` lists), also in LB_RUN_ARGS and
  LB_AB_ARGS; every suite (--suite, LB_SUITE) lists; every --config file exists;
- every LB_* variable it sets is one the scripts read; every $VAR a step uses
  is set somewhere (step, job, workflow, the runner, or the step itself);
- every cmake target (--target), cache option (-D), ctest label (-L, -LE) and
  test regex (-R) exists in the CMake files or the configured build;
- every steps.X.outputs.Y / needs.J.outputs.Y names an earlier step or a
  needed job and an output that step or job writes;
- every report or results file it reads or uploads is one the scripts write,
  under the job's LB_OUTPUT_DIR, and the baseline cache holds the baseline
  directory the config names.

Then it checks itself: mutated copies of the workflow (a misspelt script,
option, target, label, ...) written to a temporary directory must each fail
with the expected message, and three well-formed additions must pass.
"""
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import yaml

WORKFLOW = ".github/workflows/benchmarks.yml"
# runner and shell variables a step may use without setting them
BUILTIN_VARS = {"HOME", "PATH", "PWD", "CI", "SHELL", "USER", "TMPDIR"}
BUILTIN_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_")
CMAKE_BUILTIN_TARGETS = {"all", "clean", "help", "install", "test", "edit_cache", "rebuild_cache",
                         "list_install_components", "install/local", "install/strip"}
# words that may come before the program of a simple command
WRAPPERS = {"bash", "sh", "sudo", "env", "exec", "time", "nice", "command", "!"}
OPERATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&"}
REDIRECTS = (">", ">>", "<", ">&", "<&", "&>", ">|", "<<<")


class Repo:
    """What the repository offers, read once: scripts, CMake, latentbench."""

    def __init__(self, root, lb):
        self.root = os.path.abspath(root)
        self.lb = os.path.abspath(lb)
        self.build = os.path.dirname(self.lb)
        self._help = {}
        self._suites = {}
        self._scripts = {}
        self._shellcheck = {}
        self.cmake_texts = self._cmake_texts()
        self.targets, self.target_patterns = self._targets()
        self.cache_vars = set(re.findall(r"\boption\(\s*(\w+)", self.cmake_texts))
        self.cache_vars |= set(re.findall(r"\bset\(\s*(\w+)\s[^)]*\bCACHE\b", self.cmake_texts))
        self.labels = self._labels()
        self.test_names, self.test_patterns = self._tests()
        texts = [self.script_text(f) for f in self.script_files()]
        self.scripts_text = "\n".join(texts)
        self.lb_vars = set(re.findall(r"\b(LB_[A-Z0-9_]+)", self.scripts_text))
        self.policy = self._policy()
        self.shellcheck = shutil.which("shellcheck")
        if not self.shellcheck:
            raise SystemExit("test_workflow: shellcheck not found (scripts/deps.sh installs it)")

    # ---- scripts ----
    def script_files(self):
        d = os.path.join(self.root, "scripts")
        return sorted(os.path.join("scripts", f) for f in os.listdir(d) if f.endswith(".sh"))

    def script_text(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8") as f:
            return f.read()

    def script_info(self, rel):
        """(problems, options, outputs) of a script path relative to the root."""
        if rel in self._scripts:
            return self._scripts[rel]
        path = os.path.join(self.root, rel)
        problems, options, outputs = [], set(), set()
        if not os.path.isfile(path):
            problems.append(f"no such script {rel}")
        else:
            problems += script_problems(path, rel)
            text = self.script_text(rel)
            # the options its case statements parse: `-h | --help)`, `--ab)`
            for m in re.finditer(r"^\s*((?:-[\w-]+)(?:\s*\|\s*-[\w-]+)*)\s*\)", text, re.M):
                options |= {o.strip() for o in m.group(1).split("|")}
            # what it writes to $GITHUB_OUTPUT (echo "name=...")
            outputs = set(re.findall(r"\becho\s+\"?(\w+)=", text))
        self._scripts[rel] = (problems, options, outputs)
        return self._scripts[rel]

    def shellcheck_lines(self, text, dialect):
        key = (text, dialect)
        if key not in self._shellcheck:
            p = subprocess.run([self.shellcheck, "-s", dialect, "-f", "gcc", "-"], capture_output=True, text=True,
                               input=text)
            self._shellcheck[key] = p.stdout.splitlines()
        return self._shellcheck[key]

    # ---- latentbench ----
    def help(self, words):
        """The options `latentbench help WORDS` lists, or None when it fails."""
        key = tuple(words)
        if key not in self._help:
            p = subprocess.run([self.lb, "help", *words], capture_output=True, text=True,
                               timeout=60, cwd=self.root)
            if p.returncode != 0:
                self._help[key] = None
            else:
                opts = set()
                for line in p.stdout.splitlines():
                    m = re.match(r"^\s{2}(?:(-\w),\s+)?(--[\w-]+)", line)
                    if m:
                        opts |= {o for o in m.groups() if o}
                self._help[key] = opts
        return self._help[key]

    def suite_ok(self, name):
        if name not in self._suites:
            p = subprocess.run([self.lb, "list", "--suite", name], capture_output=True, text=True,
                               timeout=60, cwd=self.root)
            self._suites[name] = p.returncode == 0
        return self._suites[name]

    def _policy(self):
        cfg = os.path.join(self.root, "bench", "regression_config.toml")
        args = [self.lb, "baseline", "config"] + (["--config", cfg] if os.path.isfile(cfg) else [])
        p = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=self.root)
        if p.returncode != 0:
            raise SystemExit(f"test_workflow: {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)

    # ---- CMake ----
    def _cmake_texts(self):
        texts = []
        for d, dirs, files in os.walk(self.root):
            dirs[:] = [x for x in dirs if not (x.startswith("build") or x.startswith(".") or x == "target")]
            for f in files:
                if f == "CMakeLists.txt" or f.endswith(".cmake"):
                    with open(os.path.join(d, f), encoding="utf-8") as fh:
                        texts.append(fh.read())
        return "\n".join(texts)

    def _configured(self, args):
        """Lines of a command run on the configured build beside latentbench ([] when it fails)."""
        try:
            p = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=self.build)
        except (OSError, subprocess.TimeoutExpired):
            return []
        return p.stdout.splitlines() if p.returncode == 0 else []

    def _targets(self):
        names, patterns = set(CMAKE_BUILTIN_TARGETS), []
        for n in re.findall(r"\badd_(?:executable|library|custom_target)\(\s*([^\s)]+)", self.cmake_texts):
            if "${" not in n:
                names.add(n)
            elif not re.fullmatch(r"\$\{\w+\}", n):  # fuzz_${t}; a bare ${t} would match anything
                patterns.append(re.compile(re.sub(r"\\\$\\\{\w+\\\}", ".+", re.escape(n))))
        # the configured build knows the targets of loops (Makefile generator: "... name")
        for line in self._configured(["cmake", "--build", ".", "--target", "help"]):
            m = re.match(r"^\.\.\. (\S+)", line)
            if m:
                names.add(m.group(1))
        return names, patterns

    def target_ok(self, t):
        return t in self.targets or any(p.fullmatch(t) for p in self.target_patterns)

    def _labels(self):
        labels = set()
        for m in re.finditer(r"\bLABELS\s+\"?([\w;.-]+)", self.cmake_texts):
            labels |= set(m.group(1).split(";"))
        lines = self._configured(["ctest", "--print-labels"])
        if lines and lines[0].startswith("All Labels"):
            labels |= {line.strip() for line in lines[1:] if line.strip()}
        return labels

    def _tests(self):
        names, patterns = set(), []
        for n in re.findall(r"\badd_test\(\s*NAME\s+([^\s)]+)", self.cmake_texts):
            if "${" not in n:
                names.add(n)
            elif not re.fullmatch(r"\$\{\w+\}", n):
                patterns.append(re.compile(re.sub(r"\\\$\\\{\w+\\\}", ".+", re.escape(n))))
        for line in self._configured(["ctest", "-N"]):
            m = re.match(r"^\s*Test\s+#\d+:\s+(\S+)", line)
            if m:
                names.add(m.group(1))
        return names, patterns


def script_problems(path, rel, direct=True):
    """A script must parse as bash, and be executable when run as a command."""
    problems = []
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    if not re.match(r"^#!.*\bbash\b", first):
        problems.append(f"{rel}: no bash shebang (first line {first.strip()!r})")
    p = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    if p.returncode != 0:
        problems.append(f"{rel}: bash -n fails: {p.stderr.strip()}")
    if direct and not os.stat(path).st_mode & stat.S_IXUSR:
        problems.append(f"{rel}: run as a command but not executable (chmod +x, git update-index --chmod=+x)")
    return problems


# ---- shell text -------------------------------------------------------------
def simple_commands(text):
    """The simple commands of a step's script, each a list of words (no operators, no redirections)."""
    text = re.sub(r"\$\{\{.*?\}\}", "GHEXPR", text)
    text = text.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lex.whitespace_split = True
        lex.commentchars = "#"
        try:
            words = list(lex)
        except ValueError:
            words = line.split()
        cur, skip = [], False
        for w in words:
            if w in OPERATORS:
                if cur:
                    out.append(cur)
                cur, skip = [], False
            elif w in REDIRECTS or w.startswith(">") or w.startswith("<"):
                if cur and cur[-1].isdigit():
                    cur.pop()
                skip = True  # the file name
            elif skip:
                skip = False
            else:
                cur.append(w)
        if cur:
            out.append(cur)
    return out


def program(words):
    """(index of the program, ran through a shell) after wrappers and VAR=value assignments."""
    i, via_shell = 0, False
    while i < len(words):
        w = words[i]
        if w in WRAPPERS:
            via_shell |= w in ("bash", "sh")
            i += 1
        elif re.match(r"^[A-Za-z_]\w*=", w):
            i += 1
        elif w == "timeout" and i + 1 < len(words):
            i += 2
        elif w.startswith("-") and i > 0 and words[i - 1] in WRAPPERS:
            i += 1  # bash -e, sudo -E
        else:
            return i, via_shell
    return None, via_shell


def is_latentbench(w):
    return os.path.basename(w) == "latentbench" or w in ("$LATENTBENCH", "${LATENTBENCH}")


def option_words(args):
    """The option names among args (up to a bare --), values after '=' dropped."""
    for a in args:
        if a == "--":
            return
        if a.startswith("-") and len(a) > 1 and not re.match(r"^-[\d.]", a):
            yield a.split("=", 1)[0]


def option_value(args, name):
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            yield args[i + 1]
        elif a.startswith(name + "="):
            yield a.split("=", 1)[1]


# ---- the checker ------------------------------------------------------------
class Checker:
    def __init__(self, repo, doc):
        self.repo, self.doc, self.errors = repo, doc, []
        self.commands = 0

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def run(self):
        doc = self.doc
        if not isinstance(doc, dict):
            self.err("workflow", "not a mapping")
            return self.errors
        on = doc.get("on", doc.get(True))  # YAML 1.1 reads the key `on` as true
        self.check_triggers(on)
        jobs = doc.get("jobs") or {}
        if not jobs:
            self.err("workflow", "no jobs")
        self.events = set(on) if isinstance(on, dict) else set()
        wf_env = doc.get("env") or {}
        summary = {}
        for name, job in jobs.items():
            summary[name] = self.check_job(name, job, jobs, wf_env)
        self.check_shape(summary)
        return self.errors

    def check_triggers(self, on):
        if not isinstance(on, dict):
            self.err("on", "expected a mapping of triggers")
            return
        for ev in ("pull_request", "push"):
            branches = ((on.get(ev) or {}).get("branches")) if ev in on else None
            if ev not in on:
                self.err("on", f"no {ev} trigger")
            elif branches is not None and "main" not in branches:
                self.err(f"on.{ev}", "does not include the main branch")
        sched = on.get("schedule")
        if not sched:
            self.err("on", "no schedule trigger (the nightly run)")
        else:
            for s in sched:
                cron = (s or {}).get("cron", "")
                if len(str(cron).split()) != 5:
                    self.err("on.schedule", f"cron '{cron}' is not five fields")

    def job_events(self, job, jobs, seen=()):
        """The events a job runs on: those its `if` names (else all), and only those of the jobs it needs."""
        cond = str(job.get("if", ""))
        evs = set(re.findall(r"github\.event_name\s*==\s*'(\w+)'", cond)) or set(self.events)
        if "always()" not in cond:
            needs = job.get("needs") or []
            for n in [needs] if isinstance(needs, str) else needs:
                if n in jobs and n not in seen and isinstance(jobs[n], dict):
                    evs &= self.job_events(jobs[n], jobs, seen + (n,))
        return evs

    def check_job(self, name, job, jobs, wf_env):
        where = f"jobs.{name}"
        info = {"events": self.job_events(job, jobs) if isinstance(job, dict) else set(), "scripts": [], "lb": [], "ctest": False,
                "comment": False, "uploads": [], "env": {}, "caches": [], "gates": set(), "captured": set()}
        if not isinstance(job, dict):
            self.err(where, "not a mapping")
            return info
        if "runs-on" not in job:
            self.err(where, "no runs-on")
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else list(needs)
        for n in needs:
            if n not in jobs:
                self.err(where, f"needs unknown job '{n}'")
        steps = job.get("steps") or []
        if not steps:
            self.err(where, "no steps")
        job_env = {**{str(k): str(v) for k, v in wf_env.items()},
                   **{str(k): str(v) for k, v in (job.get("env") or {}).items()}}
        info["env"] = job_env
        self.check_env_names(where, job.get("env") or {})
        self.check_refs(where, job.get("if", ""), {}, needs, jobs)
        # GitHub's default shell is sh in a container; the steps here are written for bash
        job_shell = (((job.get("defaults") or {}).get("run") or {}).get("shell")
                     or ((self.doc.get("defaults") or {}).get("run") or {}).get("shell") or "sh")
        if not str(job_shell).startswith("bash"):
            self.err(where, f"run steps default to '{job_shell}': set defaults.run.shell: bash")
        ids, outputs = [], {}
        for i, step in enumerate(steps):
            sw = f"{where}.steps[{i}]" + (f" ({step.get('name') or step.get('id') or step.get('uses')})"
                                         if isinstance(step, dict) else "")
            if not isinstance(step, dict):
                self.err(sw, "not a mapping")
                continue
            if ("run" in step) == ("uses" in step):
                self.err(sw, "needs exactly one of run and uses")
            sid = step.get("id")
            if sid is not None:
                if sid in ids:
                    self.err(sw, f"id '{sid}' used twice")
                ids.append(sid)
            env = {**job_env, **{str(k): str(v) for k, v in (step.get("env") or {}).items()}}
            self.check_env_names(sw, step.get("env") or {})
            known = {k: v for k, v in outputs.items()}
            for field in ("if", "env", "with", "run"):
                self.check_refs(sw, step.get(field, ""), known, needs, jobs)
            if "uses" in step:
                self.check_uses(sw, step, env, info)
                outs = None  # an action's outputs are its own
            else:
                shell = str(step.get("shell") or job_shell)
                outs = self.check_run(sw, str(step["run"]), env, info, sid, "bash" if shell.startswith("bash") else "sh")
            if sid is not None:
                outputs[sid] = outs
        for k, v in (job.get("outputs") or {}).items():
            self.check_refs(f"{where}.outputs.{k}", v, outputs, [], jobs)
        return info

    def check_env_names(self, where, env):
        for k in env:
            if str(k).startswith("LB_") and k not in self.repo.lb_vars:
                self.err(where, f"sets {k}, which no script under scripts/ reads")

    def check_refs(self, where, value, outputs, needs, jobs):
        """steps.X.outputs.Y against earlier steps; needs.J.outputs.Y against needed jobs."""
        text = yaml.safe_dump(value) if not isinstance(value, str) else value
        for sid, field, out in re.findall(r"\bsteps\.([\w-]+)\.(outputs|outcome|conclusion)\.?([\w-]*)", text):
            if sid not in outputs:
                self.err(where, f"steps.{sid} is not an earlier step of this job")
            elif field == "outputs" and outputs[sid] is not None and out not in outputs[sid]:
                self.err(where, f"steps.{sid}.outputs.{out}: step '{sid}' writes no output '{out}' "
                                f"(it writes: {', '.join(sorted(outputs[sid])) or 'none'})")
        for jid, out in re.findall(r"\bneeds\.([\w-]+)\.outputs\.([\w-]+)", text):
            if jid not in needs:
                self.err(where, f"needs.{jid}: not a job this one needs")
            elif out not in ((jobs.get(jid) or {}).get("outputs") or {}):
                self.err(where, f"needs.{jid}.outputs.{out}: job '{jid}' declares no output '{out}'")

    def check_uses(self, where, step, env, info):
        uses = str(step["uses"])
        if not re.match(r"^[\w.-]+/[\w./-]+@[\w.-]+$", uses):
            self.err(where, f"uses '{uses}': expected owner/action@version")
        action = uses.split("@")[0]
        w = step.get("with") or {}
        out_dir = env.get("LB_OUTPUT_DIR")
        if action == "actions/upload-artifact":
            paths = [p.strip() for p in str(w.get("path", "")).splitlines() if p.strip()]
            if not paths:
                self.err(where, "upload-artifact without a path")
            for p in paths:
                self.check_output_file(where, p, out_dir)
            info["uploads"] += paths
        elif action == "actions/github-script":
            script = str(w.get("script", ""))
            for p in re.findall(r"readFileSync\(\s*'([^']+)'", script):
                self.check_output_file(where, p, out_dir)
            if re.search(r"\bcreateComment\b|\bupdateComment\b", script):
                info["comment"] = True
        elif action in ("actions/cache", "actions/cache/restore", "actions/cache/save"):
            path = str(w.get("path", "")).strip()
            want = env.get("LB_BASELINE_DIR") or self.repo.policy.get("directory", "benches/baselines")
            if path != want:
                self.err(where, f"caches '{path}', but the baselines live in '{want}' "
                                f"(LB_BASELINE_DIR, else the config's directory)")
            info["caches"].append(action)
        if "if" in step:
            for p in re.findall(r"hashFiles\('([^']+)'\)", str(step["if"])):
                self.check_output_file(where, p, out_dir)

    def check_output_file(self, where, path, out_dir):
        """A file the workflow reads or uploads: one the scripts write, in LB_OUTPUT_DIR."""
        if any(c in path for c in "*?[") or "${{" in path:
            return
        base = os.path.basename(path)
        if not re.search(r"(?<![\w.-])" + re.escape(base) + r"(?![\w.-])", self.repo.scripts_text):
            self.err(where, f"'{path}': no script under scripts/ writes a file named {base}")
        if out_dir and os.path.dirname(path) != out_dir.rstrip("/"):
            self.err(where, f"'{path}' is not in the job's LB_OUTPUT_DIR '{out_dir}'")

    def check_run(self, where, text, env, info, sid, shell):
        outputs = set(re.findall(r"\becho\s+\"?(\w+)=", text))
        # the step's script in its shell's dialect, ${{ }} replaced by a word
        for line in self.repo.shellcheck_lines(re.sub(r"\$\{\{.*?\}\}", "GHEXPR", text), shell):
            self.err(where, "shellcheck: " + line.split(":", 1)[-1].strip())
        # $VARS the step uses: set in env, by the runner, or in the step itself
        shell_text = re.sub(r"\$\{\{.*?\}\}", "", text)
        assigned = set(re.findall(r"(?:^|[\s;(])([A-Za-z_]\w*)=", shell_text))
        for v in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", shell_text):
            if not (v in env or v in assigned or v in BUILTIN_VARS or v.startswith(BUILTIN_PREFIXES)):
                self.err(where, f"${v} is set nowhere (step env, job env, workflow env, the runner)")
        for words in simple_commands(text):
            i, via_shell = program(words)
            if i is None:
                continue
            prog, args = words[i], words[i + 1:]
            if re.search(r"\.sh$", prog):
                self.commands += 1
                self.check_script(where, prog, args, env, info, direct=not via_shell)
                outputs |= self.repo.script_info(os.path.normpath(prog))[2]
            elif is_latentbench(prog):
                self.commands += 1
                words_out = self.check_latentbench(where, args)
                if words_out == ["baseline", "config"] and "GITHUB_OUTPUT" in text:
                    outputs |= set(self.repo.policy)
                info["lb"].append(words_out)
            elif prog == "cmake":
                self.commands += 1
                self.check_cmake(where, args)
            elif prog == "ctest":
                self.commands += 1
                self.check_ctest(where, args)
                info["ctest"] = True
        # a gate's status captured and acted on later: `... || rc=$?` then a step that fails on 1
        if re.search(r"\|\|\s*rc=\$\?", text) and sid:
            info["captured"].add(sid)
        if re.search(r"^\s*case\b", text, re.M) and re.search(r"\bexit 1\b", text):
            has2 = re.search(r"^\s*(?:[\d\s|]*\b2\b[\d\s|]*)\)\s*echo", text, re.M)
            for ref in re.findall(r"steps\.([\w-]+)\.outputs", yaml.safe_dump(env)):
                if has2:
                    info["gates"].add(ref)
                else:
                    self.err(where, f"the gate of step '{ref}' has no case for status 2 (improvements only: a pass)")
        return outputs

    def check_script(self, where, prog, args, env, info, direct):
        rel = os.path.normpath(prog)
        if os.path.isabs(rel) or rel.startswith(".."):
            self.err(where, f"script {prog}: not a path inside the repository")
            return
        problems, options, _ = self.repo.script_info(rel)
        if problems and not direct:
            problems = [p for p in problems if "not executable" not in p]
        for p in problems:
            self.err(where, p)
        if problems and any(p.startswith("no such script") for p in problems):
            return
        if direct:
            full = os.path.join(self.repo.root, rel)
            if not os.stat(full).st_mode & stat.S_IXUSR:
                self.err(where, f"{rel}: run as a command but not executable")
        for o in option_words(args):
            if o not in options:
                self.err(where, f"{rel}: option '{o}' is not one it parses "
                                f"({', '.join(sorted(options)) or 'it takes none'})")
        info["scripts"].append((rel, args, env))
        # what the environment hands to latentbench through the script
        name = os.path.basename(rel)
        if name == "benchmark_ci.sh":
            for var, cmd in (("LB_RUN_ARGS", ["run"]), ("LB_AB_ARGS", ["ab"])):
                if env.get(var):
                    self.check_lb_options(where + f" {var}", cmd, shlex.split(env[var]))
            if env.get("LB_SUITE") and not self.repo.suite_ok(env["LB_SUITE"]):
                self.err(where, f"LB_SUITE '{env['LB_SUITE']}': `latentbench list --suite` refuses it")
        for var in ("LB_CONFIG",):
            if env.get(var) and not os.path.isfile(os.path.join(self.repo.root, env[var])):
                self.err(where, f"{var} '{env[var]}': no such file")

    def check_latentbench(self, where, args):
        if not args:
            self.err(where, "latentbench without a command")
            return []
        words = [args[0]]
        if args[0] == "baseline" and len(args) > 1 and not args[1].startswith("-"):
            words.append(args[1])
        if self.repo.help(words) is None:
            self.err(where, f"`latentbench {' '.join(words)}`: no such command "
                            f"(`latentbench help {' '.join(words)}` fails)")
            return words
        self.check_lb_options(where, words, args[len(words):])
        return words

    def check_lb_options(self, where, words, args):
        opts = self.repo.help(words)
        if opts is None:
            self.err(where, f"`latentbench {' '.join(words)}`: no such command")
            return
        for o in option_words(args):
            if o not in opts:
                self.err(where, f"`latentbench {' '.join(words)}`: unknown option '{o}'")
        for s in option_value(args, "--suite"):
            if "$" not in s and not self.repo.suite_ok(s):
                self.err(where, f"--suite '{s}': `latentbench list --suite` refuses it")
        for c in option_value(args, "--config"):
            if "$" not in c and not os.path.isfile(os.path.join(self.repo.root, c)):
                self.err(where, f"--config '{c}': no such file")

    def check_cmake(self, where, args):
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("--target", "-t"):
                i += 1
                while i < len(args) and not args[i].startswith("-"):
                    if not self.repo.target_ok(args[i]):
                        self.err(where, f"cmake target '{args[i]}' is defined nowhere")
                    i += 1
                continue
            if a.startswith("--target="):
                for t in a.split("=", 1)[1].split(","):
                    if not self.repo.target_ok(t):
                        self.err(where, f"cmake target '{t}' is defined nowhere")
            elif a.startswith("-D"):
                d = a[2:] or (args[i + 1] if i + 1 < len(args) else "")
                var = re.split(r"[:=]", d, maxsplit=1)[0]
                if not var.startswith("CMAKE_") and var not in self.repo.cache_vars:
                    self.err(where, f"cmake option -D{var} is declared nowhere (option() or set(... CACHE))")
                if not a[2:]:
                    i += 1
            elif a == "-S" and i + 1 < len(args):
                if not os.path.isfile(os.path.join(self.repo.root, args[i + 1], "CMakeLists.txt")):
                    self.err(where, f"cmake -S {args[i + 1]}: no CMakeLists.txt there")
                i += 1
            i += 1

    def check_ctest(self, where, args):
        for i, a in enumerate(args):
            val = args[i + 1] if i + 1 < len(args) else ""
            if a in ("-L", "--label-regex", "-LE", "--label-exclude"):
                try:
                    rx = re.compile(val)
                except re.error:
                    self.err(where, f"ctest {a} '{val}': not a regular expression")
                    continue
                if not any(rx.search(lab) for lab in self.repo.labels):
                    self.err(where, f"ctest {a} '{val}' matches no test label "
                                    f"(labels: {', '.join(sorted(self.repo.labels))})")
            elif a in ("-R", "--tests-regex", "-E", "--exclude-regex"):
                try:
                    rx = re.compile(val)
                except re.error:
                    self.err(where, f"ctest {a} '{val}': not a regular expression")
                    continue
                if not (any(rx.search(t) for t in self.repo.test_names)
                        or any(rx.search(p.pattern) for p in self.repo.test_patterns)):
                    self.err(where, f"ctest {a} '{val}' matches no test")

    def check_shape(self, jobs):
        """The design's workflow: what runs on which event."""
        def runs(info, script, with_ab=None):
            for rel, args, env in info["scripts"]:
                if os.path.basename(rel) == script and (with_ab is None or ("--ab" in args) == with_ab):
                    yield env

        def jobs_for(ev):
            return {n: j for n, j in jobs.items() if ev in j["events"]}

        def has_artifacts(n, j, what):
            ups = j["uploads"]
            if not any(u.endswith(".h5") for u in ups) or not any(u.endswith(".md") for u in ups):
                self.err(f"jobs.{n}", f"{what}: the HDF5 results and the Markdown report are not both uploaded")

        pr = jobs_for("pull_request")
        if not any(j["ctest"] or any(runs(j, "test.sh")) for j in pr.values()):
            self.err("jobs", "no job runs the tests (scripts/test.sh or ctest) on pull requests")
        if not any(j["ctest"] or any(runs(j, "test.sh")) for j in jobs_for("push").values()):
            self.err("jobs", "no job runs the tests (scripts/test.sh or ctest) on pushes")
        ab = [n for n, j in pr.items() if any(runs(j, "benchmark_ci.sh", True))]
        if not ab:
            self.err("jobs", "no pull_request job runs scripts/benchmark_ci.sh --ab BASE")
        for n in ab:
            if not pr[n]["comment"]:
                self.err(f"jobs.{n}", "the A/B report is not posted as a pull-request comment")
            has_artifacts(n, pr[n], "A/B")
        push = jobs_for("push")
        main = [n for n, j in push.items() if any(runs(j, "benchmark_ci.sh", False))]
        if not main:
            self.err("jobs", "no push job runs scripts/benchmark_ci.sh (the baseline of main)")
        for n in main:
            has_artifacts(n, push[n], "main")
            if "actions/cache/save" not in push[n]["caches"] and "actions/cache" not in push[n]["caches"]:
                self.err(f"jobs.{n}", "the baseline directory is not kept between runs (no cache save)")
        if not any(any(runs(j, "update_baseline.sh")) for j in push.values()):
            self.err("jobs", "no push job runs scripts/update_baseline.sh (require_approval)")
        nightly = [n for n, j in jobs_for("schedule").items()
                   for env in runs(j, "benchmark_ci.sh", False) if env.get("LB_SUITE") in ("all",)]
        if not nightly:
            self.err("jobs", "no scheduled job runs scripts/benchmark_ci.sh with LB_SUITE=all")
        for n in nightly:
            has_artifacts(n, jobs[n], "nightly")
        for n, j in jobs.items():
            for sid in j["captured"] - j["gates"]:
                self.err(f"jobs.{n}", f"step '{sid}' captures a gate's status but no later step fails the job on it")


def check_file(repo, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return [f"{path}: not YAML: {e}"], 0
    c = Checker(repo, doc)
    errors = c.run()
    return errors, c.commands


# (what to replace, its replacement, a phrase the checker must report); each must apply
MUTATIONS = [
    ("scripts/benchmark_ci.sh --ab", "scripts/benchmark_cl.sh --ab", "no such script scripts/benchmark_cl.sh"),
    ("benchmark_ci.sh --ab", "benchmark_ci.sh --abb", "option '--abb'"),
    ("run: bash scripts/test.sh", "run: bash scripts/tests.sh", "no such script scripts/tests.sh"),
    ("LB_RUN_ARGS: --quick", "LB_RUN_ARGS: --quik", "unknown option '--quik'"),
    ("run: scripts/update_baseline.sh target", "run: scripts/update_baseline.sh --force target",
     "option '--force'"),
    ("baseline config --config", "baseline konfig --config", "`latentbench baseline konfig`: no such command"),
    ("baseline config --config", "baseline config --confg", "unknown option '--confg'"),
    ("--target latentbench", "--target latentbnch", "cmake target 'latentbnch'"),
    ("-DLATENTBENCH_BUILD_TESTS=OFF", "-DLATENTBENCH_BUILD_TEST=OFF", "-DLATENTBENCH_BUILD_TEST is declared"),
    ("run: bash scripts/test.sh", "run: |\n          bash scripts/test.sh\n          ctest --test-dir build/release -L slurmm",
     "-L 'slurmm' matches no test label"),
    ("LB_SUITE: all", "LB_SUITE: al", "LB_SUITE 'al'"),
    ("LB_BASELINE_NAME: nightly", "LB_BASELINE_NAM: nightly", "sets LB_BASELINE_NAM"),
    ("steps.ab.outputs.status", "steps.abb.outputs.status", "steps.abb is not an earlier step"),
    ("steps.bench.outputs.issue_body != ''", "steps.bench.outputs.issue != ''", "writes no output 'issue'"),
    ("needs.baseline.outputs.require_approval", "needs.baseline.outputs.require_aproval",
     "declares no output 'require_aproval'"),
    ("target/latentbench/ab_report.md", "target/latentbench/ab-report.md", "writes a file named ab-report.md"),
    ("scripts/benchmark_ci.sh --ab \"$BASE_SHA\"", "scripts/benchmark_ci.sh --ab \"$BASE_SH\"", "$BASE_SH is set nowhere"),
    ("path: benches/baselines", "path: bench/baselines", "caches 'bench/baselines'"),
    ("  schedule:\n", "  schedulee:\n", "no schedule trigger"),
    ("defaults:\n  run:\n    shell: bash\n", "", "set defaults.run.shell: bash"),
    ("          \"$LATENTBENCH\" baseline config",
     "          b=$(\"$LATENTBENCH\" baseline show --path-onyl) || true\n          echo \"$b\"\n"
     "          \"$LATENTBENCH\" baseline config", "unknown option '--path-onyl'"),
    ("          case \"$STATUS\" in\n", "          case \"$STATUS\"\n", "shellcheck: "),
    ("          0) echo \"no significant change against the base\" ;;\n          2) echo \"improvements only against the base\" ;;\n",
     "          0) echo \"no significant change against the base\" ;;\n",
     "has no case for status 2"),
]
# well-formed additions: the checker must not flag them
GOOD = [
    ("run: bash scripts/test.sh",
     "run: |\n          bash scripts/test.sh\n          cmake --build build/fuzz --target lb_fuzz_all latent\n"
     "          ctest --test-dir build/fuzz -L fuzz -R '^fuzz_' --output-on-failure\n"
     "          build/release/latentbench report x.h5 --format md -o r.md --baseline b.h5\n"
     "          build/release/latentbench list --suite ci --filter '^knn'"),
    ("LB_RUN_ARGS: --quick", "LB_RUN_ARGS: --quick --filter ^knn --rounds=5"),
    ("          \"$LATENTBENCH\" baseline config",
     "          b=$(\"$LATENTBENCH\" baseline show --path-only --name main) || true\n          echo \"$b\"\n"
     "          \"$LATENTBENCH\" baseline config"),
]


def self_test(repo, workflow, base_errors):
    with open(workflow, encoding="utf-8") as f:
        text = f.read()
    failures = []
    # the exec bit: a script run as a command must be executable
    with tempfile.TemporaryDirectory(prefix="lb-workflow-") as tmp:
        s = os.path.join(tmp, "x.sh")
        with open(s, "w") as f:
            f.write("#!/usr/bin/env bash\necho ok\n")
        os.chmod(s, 0o644)
        if not any("not executable" in p for p in script_problems(s, "x.sh", direct=True)):
            failures.append("a non-executable script run as a command was not caught")
        if script_problems(s, "x.sh", direct=False):
            failures.append("a non-executable script run through bash was refused")
        with open(s, "w") as f:
            f.write("#!/usr/bin/env bash\nif then fi (\n")
        if not any("bash -n fails" in p for p in script_problems(s, "x.sh", direct=False)):
            failures.append("a script that bash cannot parse was not caught")
        for i, (old, new, *want) in enumerate(MUTATIONS + [(o, n) for o, n in GOOD]):
            if old not in text:
                failures.append(f"mutation {i}: '{old[:60]}' is no longer in the workflow: update MUTATIONS/GOOD")
                continue
            path = os.path.join(tmp, f"mutated{i}.yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))
            errors, _ = check_file(repo, path)
            errors = [e for e in errors if e not in base_errors]
            if want:
                if not any(want[0] in e for e in errors):
                    failures.append(f"mutation {i} ({old[:40]!r} -> {new[:40]!r}) not caught: "
                                    f"expected '{want[0]}', got {errors}")
            elif errors:
                failures.append(f"well-formed addition {i - len(MUTATIONS)} refused: {errors}")
    return failures, len(MUTATIONS), len(GOOD)


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 64
    t0 = time.monotonic()
    root, lb = argv[1], argv[2]
    workflow = argv[3] if len(argv) == 4 else os.path.join(root, WORKFLOW)
    repo = Repo(root, lb)
    if not repo.target_ok("latentbench") or not repo.target_ok("latent") or not repo.labels:
        print("test_workflow: the CMake scan found no latentbench/latent target or no label", file=sys.stderr)
        return 1
    errors, commands = check_file(repo, workflow)
    for e in errors:
        print(f"{os.path.relpath(workflow, root)}: {e}")
    failures, nmut, ngood = self_test(repo, workflow, errors)
    for f in failures:
        print(f"self-test: {f}")
    dt = time.monotonic() - t0
    print(f"test_workflow: {commands} commands checked, {len(errors)} problems; "
          f"self-test: {nmut} mutations, {ngood} well-formed additions, {len(failures)} failures ({dt:.1f} s)")
    return 1 if errors or failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
