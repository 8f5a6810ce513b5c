#!/usr/bin/env python3
"""Offline checks of gpuval's Kubernetes manifests (containers/k8s), and the container they run.

  k8s_manifests.py check DIR [--gpuval BIN] [--containerfile FILE] [--only GROUP]...
      Parse every *.yaml under DIR and check what a cluster would need and what gpuval's fleet
      runs rely on. One line per problem ("FILE: what"), exit 1 when there is any, 0 with a
      summary otherwise, 2 when DIR holds no manifest or a file does not parse. Groups:
        fields    apiVersion, kind, metadata.name; CronJob schedule + jobTemplate
        jobs      restartPolicy, deadline and retry limits, one pod per node (Indexed +
                  podAntiAffinity), podFailurePolicy names a real container
        gpu       nvidia.com/gpu limit, GPU node affinity or selector, GPU taint toleration
        results   $GPUVAL_RESULTS_DIR is a volumeMount backed by a volume (a PVC defined here)
        security  runAsUser 1000 (the image's user), Pod Security "restricted" fields
        command   the sh script only uses variables the pod defines and execs the image's
                  gpuval (which FILE installs, as USER 1000, with --containerfile); args are
                  a gpuval subcommand whose flags exist (`BIN SUB --help`, with --gpuval);
                  the script passes --out, the args must not
        same      every Job / CronJob pod template is the same (one source of truth)
        kustomize kustomization.yaml lists files that exist and the image the pods use
  k8s_manifests.py podman-argv FILE --image IMG --results HOSTDIR --node NODE --pod POD
      The `podman run` argument vector (NUL-separated) that runs FILE's gpuval container like
      the kubelet would: its command and args (with Kubernetes' $(VAR) expansion), its env with
      the downward API filled in (spec.nodeName = NODE, metadata.name = POD), HOSTDIR mounted at
      the results mountPath, --user runAsUser:runAsGroup, --group-add fsGroup, no network.
  k8s_manifests.py results-dir FILE
      The directory the container writes documents under ($GPUVAL_RESULTS_DIR).
"""
import argparse
import os
import re
import subprocess
import sys

import yaml

IMAGE_USER = 1000  # the Containerfile's USER
GPUVAL_IN_IMAGE = "/opt/gpuval/bin/gpuval"  # the Containerfile installs /opt/gpuval
ENTRYPOINT_IN_IMAGE = "/usr/local/bin/gpuval-entrypoint"
GPU_RESOURCE = "nvidia.com/gpu"
JOB_KINDS = ("Job", "CronJob")
POD_OWNER_KINDS = ("Job", "CronJob", "DaemonSet", "Deployment", "StatefulSet", "Pod")
CRON_FIELD = re.compile(r"^[0-9*/,\-A-Za-z?LW#]+$")
SHELL_VAR = re.compile(r"\$\{?(GPUVAL_[A-Za-z0-9_]+)")
K8S_VAR = re.compile(r"\$\$|\$\(([^)]*)\)")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def manifests(directory):
    """(file name, document) for every document of every *.yaml/*.yml under directory."""
    out = []
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(root, name)
                for doc in load(path):
                    out.append((os.path.relpath(path, directory), doc))
    return out


def job_spec(doc):
    if doc.get("kind") == "CronJob":
        return ((doc.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}
    if doc.get("kind") == "Job":
        return doc.get("spec") or {}
    return None


def pod_template(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        return {"metadata": doc.get("metadata") or {}, "spec": doc.get("spec") or {}}
    spec = job_spec(doc) if kind in JOB_KINDS else (doc.get("spec") or {})
    return (spec or {}).get("template") or {}


def gpuval_container(pod_spec):
    """The container that requests GPUs (the gpuval run), else the first one."""
    containers = pod_spec.get("containers") or []
    for c in containers:
        if GPU_RESOURCE in ((c.get("resources") or {}).get("limits") or {}):
            return c
    return containers[0] if containers else {}


def env_value(container, name):
    for e in container.get("env") or []:
        if e.get("name") == name:
            return e.get("value")
    return None


def results_dir(container):
    return env_value(container, "GPUVAL_RESULTS_DIR")


def script_of(container):
    """The sh -c script of a `/bin/sh -c SCRIPT NAME` command, else None."""
    cmd = container.get("command") or []
    if len(cmd) >= 3 and os.path.basename(str(cmd[0])) in ("sh", "bash") and cmd[1] == "-c":
        return str(cmd[2])
    return None


class Checker:
    def __init__(self, directory, gpuval=None, containerfile=None):
        self.dir = directory
        self.gpuval = gpuval
        self.containerfile = containerfile
        self.problems = []
        every = manifests(directory)
        self.docs = [(name, d) for name, d in every if isinstance(d, dict)]
        self.not_mappings = [name for name, d in every if not isinstance(d, dict)]
        self.pvcs = {(d.get("metadata") or {}).get("name") for _, d in self.docs
                     if d.get("kind") == "PersistentVolumeClaim"}
        self.help_cache = {}

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")

    def pods(self):
        for name, doc in self.docs:
            if doc.get("kind") in POD_OWNER_KINDS:
                yield name, doc, pod_template(doc)

    # ---- groups ------------------------------------------------------------------------------
    def fields(self):
        for name in self.not_mappings:
            self.problem(name, "a YAML document that is not a mapping (no Kubernetes object)")
        for name, doc in self.docs:
            if doc.get("kind") == "Kustomization":
                continue
            for key in ("apiVersion", "kind"):
                if not doc.get(key):
                    self.problem(name, f"no {key}")
            meta = doc.get("metadata") or {}
            # A Job created again and again (kubectl create) may use generateName instead.
            if not meta.get("name") and not (doc.get("kind") == "Job" and meta.get("generateName")):
                self.problem(name, f"{doc.get('kind')} has no metadata.name")
            if doc.get("kind") == "CronJob":
                schedule = str((doc.get("spec") or {}).get("schedule") or "")
                fields = schedule.split()
                if len(fields) != 5 or not all(CRON_FIELD.match(f) for f in fields):
                    self.problem(name, f"CronJob schedule '{schedule}' is not 5 cron fields")
                if not ((doc.get("spec") or {}).get("jobTemplate") or {}).get("spec"):
                    self.problem(name, "CronJob has no jobTemplate.spec")
            if doc.get("kind") in POD_OWNER_KINDS:
                template = pod_template(doc)
                if not (template.get("spec") or {}).get("containers"):
                    self.problem(name, f"{doc.get('kind')} has no pod template with containers")

    def jobs(self):
        for name, doc in self.docs:
            if doc.get("kind") not in JOB_KINDS:
                continue
            spec = job_spec(doc)
            pod = (spec.get("template") or {}).get("spec") or {}
            restart = pod.get("restartPolicy")
            if restart not in ("Never", "OnFailure"):
                self.problem(name, f"restartPolicy is {restart!r}: a Job needs Never or OnFailure")
            if doc.get("kind") == "CronJob":
                policy = (doc.get("spec") or {}).get("concurrencyPolicy")
                if policy != "Forbid":
                    self.problem(name, f"concurrencyPolicy is {policy!r}, not Forbid: two "
                                 "fleet runs would compete for the same GPUs")
            deadline = spec.get("activeDeadlineSeconds")
            if not isinstance(deadline, int) or deadline <= 0:
                self.problem(name, "no activeDeadlineSeconds: a pod waiting for a busy node "
                             "would keep the Job (and the next night's) forever")
            if not isinstance(spec.get("backoffLimit"), int):
                self.problem(name, "no backoffLimit")
            per_index = spec.get("backoffLimitPerIndex")
            if (per_index is not None or spec.get("podFailurePolicy")) and restart != "Never":
                self.problem(name, "backoffLimitPerIndex and podFailurePolicy need restartPolicy "
                             "Never")
            completions = spec.get("completions", 1)
            parallelism = spec.get("parallelism", 1)
            if not isinstance(completions, int) or not isinstance(parallelism, int):
                self.problem(name, "completions and parallelism must be integers")
            elif parallelism > 1 or completions > 1:
                self.one_pod_per_node(name, doc, spec, completions, parallelism, per_index)
            containers = {c.get("name") for c in pod.get("containers") or []}
            for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
                ref = (rule.get("onExitCodes") or {}).get("containerName")
                if ref is not None and ref not in containers:
                    self.problem(name, f"podFailurePolicy names container {ref!r}, not in the pod")

    def one_pod_per_node(self, name, doc, spec, completions, parallelism, per_index):
        if spec.get("completionMode") != "Indexed":
            self.problem(name, "a run per node needs completionMode Indexed")
        if completions != parallelism:
            self.problem(name, f"completions {completions} != parallelism {parallelism}: "
                         "pods that do not run at once may land on a node already done")
        limit = spec.get("backoffLimit")
        needed = completions * ((per_index or 0) + 1)
        if per_index is not None and isinstance(limit, int) and limit < needed:
            self.problem(name, f"backoffLimit {limit} < completions x (backoffLimitPerIndex + 1) "
                         f"= {needed}: failures on some nodes would end "
                         "the runs on the others")
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        terms = ((((template.get("spec") or {}).get("affinity") or {}).get("podAntiAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        for term in terms:
            match = (term.get("labelSelector") or {}).get("matchLabels") or {}
            if term.get("topologyKey") == "kubernetes.io/hostname" and match and all(
                    labels.get(k) == v for k, v in match.items()):
                return
        self.problem(name, "no required podAntiAffinity on kubernetes.io/hostname matching the "
                     "pod's own labels: two runs could share a node")

    def gpu(self):
        for name, doc, template in self.pods():
            pod = template.get("spec") or {}
            c = gpuval_container(pod)
            count = ((c.get("resources") or {}).get("limits") or {}).get(GPU_RESOURCE)
            if not isinstance(count, int) or count < 1:
                self.problem(name, f"container {c.get('name')!r} has no resources.limits"
                             f"[\"{GPU_RESOURCE}\"] >= 1: it would get no GPU")
            affinity = (((pod.get("affinity") or {}).get("nodeAffinity") or {})
                        .get("requiredDuringSchedulingIgnoredDuringExecution"))
            if not affinity and not pod.get("nodeSelector"):
                self.problem(name, "no nodeSelector or required nodeAffinity for GPU nodes")
            if not any(t.get("key") == GPU_RESOURCE for t in pod.get("tolerations") or []):
                self.problem(name, f"no toleration for the {GPU_RESOURCE} taint of GPU nodes")

    def results(self):
        for name, doc, template in self.pods():
            pod = template.get("spec") or {}
            c = gpuval_container(pod)
            where = results_dir(c)
            if not where:
                self.problem(name, "container has no GPUVAL_RESULTS_DIR: where do documents go?")
                continue
            mounts = [m for m in c.get("volumeMounts") or [] if m.get("mountPath") == where]
            if not mounts:
                self.problem(name, f"nothing is mounted at {where} (GPUVAL_RESULTS_DIR)")
                continue
            if mounts[0].get("readOnly"):
                self.problem(name, f"{where} is mounted read-only")
            volumes = {v.get("name"): v for v in pod.get("volumes") or []}
            volume = volumes.get(mounts[0].get("name"))
            if volume is None:
                self.problem(name, f"the mount at {where} names volume "
                             f"{mounts[0].get('name')!r}, which the pod does not define")
                continue
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is not None and claim not in self.pvcs:
                self.problem(name, f"volume {volume.get('name')!r} claims PVC {claim!r}, which "
                             "no manifest here defines")
            if "emptyDir" in volume:
                self.problem(name, f"{where} is an emptyDir: documents die with the pod")

    def security(self):
        for name, doc, template in self.pods():
            pod = template.get("spec") or {}
            psc = pod.get("securityContext") or {}
            c = gpuval_container(pod)
            csc = c.get("securityContext") or {}
            user = csc.get("runAsUser", psc.get("runAsUser"))
            if user != IMAGE_USER:
                self.problem(name, f"runAsUser is {user!r}, not {IMAGE_USER} (the image's user, "
                             "which owns /home/gpuval and the default /results)")
            if not csc.get("runAsNonRoot", psc.get("runAsNonRoot")):
                self.problem(name, "runAsNonRoot is not true (Pod Security restricted)")
            if csc.get("allowPrivilegeEscalation") is not False:
                self.problem(name, "allowPrivilegeEscalation is not false (Pod Security "
                             "restricted)")
            if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
                self.problem(name, "capabilities do not drop ALL (Pod Security restricted)")
            if csc.get("privileged"):
                self.problem(name, "privileged: the GPUs come from the device plugin, not this")
            seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                self.problem(name, "no seccompProfile RuntimeDefault (Pod Security restricted)")

    def command(self):
        for name, doc, template in self.pods():
            c = gpuval_container(template.get("spec") or {})
            args = [str(a) for a in c.get("args") or []]
            script = script_of(c)
            if script is not None:
                defined = {e.get("name") for e in c.get("env") or []}
                for var in sorted(set(SHELL_VAR.findall(script)) - defined):
                    self.problem(name, f"the script uses ${var}, which the container does not set")
                exec_gpuval = r"^\s*exec " + re.escape(GPUVAL_IN_IMAGE) + r' "\$@"'
                if not re.search(exec_gpuval, script, re.M):
                    self.problem(name, f"the script does not `exec {GPUVAL_IN_IMAGE} \"$@\"`")
                script_flags = re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", script)
                if "--out" not in script_flags:
                    self.problem(name, "the script passes no --out: the document would not land "
                                 "in the results volume")
                if "--out" in args or any(a.startswith("--out=") for a in args):
                    self.problem(name, "args pass --out, which the script already adds")
            else:
                script_flags = []
                cmd = c.get("command") or []
                if cmd and cmd[0] not in (GPUVAL_IN_IMAGE, "gpuval", ENTRYPOINT_IN_IMAGE):
                    self.problem(name, f"command {cmd[0]!r} is neither sh -c nor gpuval")
            if self.containerfile:
                self.check_image(name)
            if not args:
                self.problem(name, "no args: which gpuval subcommand runs?")
                continue
            if self.gpuval:
                self.check_flags(name, args[0], [a for a in args[1:] if a.startswith("-")]
                                 + script_flags)

    def check_image(self, name):
        """The image installs what the pods run, as the user they run as."""
        with open(self.containerfile, encoding="utf-8") as f:
            text = f.read()
        if not re.search(r"^\s*" + re.escape(GPUVAL_IN_IMAGE) + r" --version", text, re.M):
            self.problem(name, f"{self.containerfile} does not install and run {GPUVAL_IN_IMAGE}")
        if not re.search(rf"^USER {IMAGE_USER}(:|$)", text, re.M):
            self.problem(name, f"{self.containerfile} does not run as USER {IMAGE_USER}")

    def gpuval_help(self, sub):
        if sub not in self.help_cache:
            r = subprocess.run([self.gpuval, sub, "--help"], capture_output=True, text=True,
                               check=False)
            self.help_cache[sub] = (r.returncode, r.stdout + r.stderr)
        return self.help_cache[sub]

    def check_flags(self, name, sub, flags):
        rc, text = self.gpuval_help(sub)
        # An unknown word gets the top-level help (exit 0): a subcommand's names itself.
        if rc != 0 or not re.search(r"^Usage: \S+ " + re.escape(sub) + r"\b", text, re.M):
            self.problem(name, f"{sub!r} is no gpuval subcommand (`gpuval {sub} --help` exits "
                         f"{rc} without its usage)")
            return
        for flag in flags:
            flag = flag.split("=", 1)[0]
            if not re.search(r"(^|[\s,\[])" + re.escape(flag) + r"($|[\s,=\]])", text, re.M):
                self.problem(name, f"gpuval {sub} has no {flag} (not in `gpuval {sub} --help`)")

    def same(self):
        templates = [(name, pod_template(doc)) for name, doc in self.docs
                     if doc.get("kind") in JOB_KINDS]
        for name, template in templates[1:]:
            if template != templates[0][1]:
                self.problem(name, f"pod template differs from {templates[0][0]}'s: keep them "
                             "field for field the same")

    def kustomize(self):
        for name, doc in self.docs:
            if doc.get("kind") != "Kustomization":
                continue
            base = os.path.dirname(os.path.join(self.dir, name))
            for res in doc.get("resources") or []:
                if not os.path.exists(os.path.join(base, res)):
                    self.problem(name, f"resource {res} does not exist")
            repos = {str(gpuval_container(t.get("spec") or {}).get("image", "")).rsplit(":", 1)[0]
                     for _, _, t in self.pods()}
            for image in doc.get("images") or []:
                if image.get("name") not in repos:
                    self.problem(name, f"images: {image.get('name')} is not the pods' image "
                                 f"({', '.join(sorted(repos))})")

    GROUPS = ("fields", "jobs", "gpu", "results", "security", "command", "same", "kustomize")

    def run(self, groups):
        for group in groups:
            try:
                getattr(self, group)()
            except (AttributeError, TypeError, ValueError) as e:
                # A field of the wrong type somewhere: say so, never a traceback.
                self.problem(self.dir, f"malformed manifest (check '{group}' stopped: {e})")
        return self.problems


def k8s_expand(text, env):
    """Kubernetes' $(VAR) expansion of command/args: defined variables are replaced, $$ is a
    literal $, anything else (undefined names, $(date ...)) is left as it is."""
    def repl(m):
        if m.group(0) == "$$":
            return "$"
        return env[m.group(1)] if m.group(1) in env else m.group(0)
    return K8S_VAR.sub(repl, text)


def podman_argv(path, image, host_results, node, pod_name):
    docs = [d for d in load(path) if d.get("kind") in POD_OWNER_KINDS]
    if not docs:
        sys.exit(f"{path}: no workload with a pod template")
    pod = pod_template(docs[0]).get("spec") or {}
    c = gpuval_container(pod)
    fields = {"spec.nodeName": node, "metadata.name": pod_name, "metadata.namespace": "gpuval"}
    env = {}
    for e in c.get("env") or []:
        if "value" in e:
            env[e["name"]] = k8s_expand(str(e["value"]), env)
        else:
            ref = ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            if ref not in fields:
                sys.exit(f"{path}: env {e.get('name')} comes from {ref!r}, not emulated here")
            env[e["name"]] = fields[ref]
    psc = pod.get("securityContext") or {}
    csc = c.get("securityContext") or {}
    user = csc.get("runAsUser", psc.get("runAsUser"))
    group = csc.get("runAsGroup", psc.get("runAsGroup", user))
    argv = ["run", "--rm", "--network=none", "-v", f"{host_results}:{results_dir(c)}:Z"]
    if user is not None:
        argv += ["--user", f"{user}:{group}"]
    if psc.get("fsGroup") is not None:  # the kubelet adds it to the supplementary groups
        argv += ["--group-add", str(psc["fsGroup"])]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    command = [k8s_expand(str(a), env) for a in c.get("command") or []]
    args = [k8s_expand(str(a), env) for a in c.get("args") or []]
    if command:
        argv += ["--entrypoint", command[0], image] + command[1:] + args
    else:
        argv += [image] + args
    return argv


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    check = sub.add_parser("check")
    check.add_argument("dir")
    check.add_argument("--gpuval")
    check.add_argument("--containerfile")
    check.add_argument("--only", action="append", choices=Checker.GROUPS)
    pa = sub.add_parser("podman-argv")
    pa.add_argument("file")
    for opt in ("--image", "--results", "--node", "--pod"):
        pa.add_argument(opt, required=True)
    rd = sub.add_parser("results-dir")
    rd.add_argument("file")
    a = ap.parse_args()

    try:
        if a.cmd == "check":
            checker = Checker(a.dir, a.gpuval, a.containerfile)
            if not checker.docs:
                print(f"{a.dir}: no manifests (*.yaml)", file=sys.stderr)
                return 2
            problems = checker.run(a.only or Checker.GROUPS)
            for p in problems:
                print(p)
            if problems:
                return 1
            print(f"ok: {len(checker.docs)} documents, {len(list(checker.pods()))} pod templates, "
                  f"checks: {', '.join(a.only or Checker.GROUPS)}")
            return 0
        if a.cmd == "podman-argv":
            sys.stdout.write("\0".join(podman_argv(a.file, a.image, a.results, a.node, a.pod)))
            return 0
        docs = [d for d in load(a.file) if d.get("kind") in POD_OWNER_KINDS]
        print(results_dir(gpuval_container(pod_template(docs[0]).get("spec") or {})))
        return 0
    except (OSError, yaml.YAMLError) as e:
        print(f"k8s_manifests: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
