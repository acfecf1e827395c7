#!/usr/bin/env python3
"""deploy/kubernetes: parses every manifest (python3-yaml) and checks what the DaemonSet must
have: hostNetwork, only NET_RAW/NET_ADMIN (drop ALL, not privileged, non-root), resources,
liveness and readiness on /healthz at the metrics port, Prometheus scrape annotations on that
port, the ConfigMap mounted where --config points. The ConfigMap's YAML is loaded by the real
sensor (`bucketwatch --check-config`) when a binary is given, and its metrics.listen port must be
the probed port. `kubectl kustomize` renders the set when kubectl is installed (offline).
Also checks deploy/prometheus/kubernetes-scrape-job.yml (Debian's promtool cannot: it is built
without Kubernetes service discovery).
Usage: check_kubernetes.py SOURCE_DIR [BUCKETWATCH]
"""
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

errors = []


def check(cond, message):
    if not cond:
        errors.append(message)
    return cond


def main():
    src = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else None
    kdir = os.path.join(src, "deploy/kubernetes")
    docs = []
    for name in sorted(os.listdir(kdir)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            with open(os.path.join(kdir, name)) as f:
                for d in yaml.safe_load_all(f):
                    if d:
                        check("apiVersion" in d and "kind" in d, f"{name}: apiVersion/kind missing")
                        docs.append(d)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    for kind in ("Namespace", "ConfigMap", "DaemonSet", "ServiceAccount"):
        check(kind in by_kind, f"no {kind}")
    if errors:
        return
    ns = by_kind["Namespace"][0]["metadata"]["name"]
    ds = by_kind["DaemonSet"][0]
    cm = by_kind["ConfigMap"][0]
    check(ds["apiVersion"] == "apps/v1", "DaemonSet apiVersion")
    check(ds["metadata"].get("namespace") == ns and cm["metadata"].get("namespace") == ns,
          "everything in the bucketwatch namespace")
    spec = ds["spec"]
    tmpl = spec["template"]
    sel = spec["selector"]["matchLabels"]
    check(all(tmpl["metadata"]["labels"].get(k) == v for k, v in sel.items()),
          "selector must match the pod template labels")
    pod = tmpl["spec"]
    check(pod.get("hostNetwork") is True, "hostNetwork: true")
    check(pod.get("dnsPolicy") == "ClusterFirstWithHostNet", "dnsPolicy for hostNetwork")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "runAsNonRoot")
    check(pod.get("automountServiceAccountToken") is False, "no API token needed")
    containers = pod["containers"]
    check(len(containers) == 1, "one container")
    c = containers[0]
    sc = c.get("securityContext", {})
    caps = sc.get("capabilities", {})
    check(caps.get("drop") == ["ALL"], "capabilities.drop [ALL]")
    check(sorted(caps.get("add", [])) == ["NET_ADMIN", "NET_RAW"], "capabilities.add only NET_RAW, NET_ADMIN")
    check(sc.get("privileged") is False, "not privileged")
    check(sc.get("readOnlyRootFilesystem") is True, "read-only root filesystem")
    res = c.get("resources", {})
    for part in ("requests", "limits"):
        for r in ("cpu", "memory"):
            check(r in res.get(part, {}), f"resources.{part}.{r}")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    check("metrics" in ports, "a port named metrics")
    mport = ports.get("metrics")
    for probe in ("livenessProbe", "readinessProbe"):
        g = c.get(probe, {}).get("httpGet", {})
        check(g.get("path") == "/healthz", f"{probe} on /healthz")
        check(g.get("port") in (mport, "metrics"), f"{probe} on the metrics port")
    ann = tmpl["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true", "prometheus.io/scrape annotation")
    check(str(ann.get("prometheus.io/port")) == str(mport), "prometheus.io/port = metrics port")
    check(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path")
    args = c.get("args", [])
    check("--config" in args, "--config in args")
    config_path = args[args.index("--config") + 1] if "--config" in args else ""
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    cm_vols = [n for n, v in vols.items() if v.get("configMap", {}).get("name") == cm["metadata"]["name"]]
    check(len(cm_vols) == 1, "the ConfigMap is a volume")
    if cm_vols:
        check(config_path.startswith(mounts.get(cm_vols[0], "?") + "/"), "--config inside the ConfigMap mount")
        check(os.path.basename(config_path) in cm["data"], "--config names a ConfigMap key")
    check("--interface" in args, "--interface in args")
    # Learned state survives a pod restart only on the node's persistent volume.
    state_dir = args[args.index("--state-dir") + 1] if "--state-dir" in args else ""
    persistent = [mounts[n] for n, v in vols.items() if "hostPath" in v and n in mounts]
    check(any(state_dir.startswith(m + "/") for m in persistent),
          "--state-dir inside a hostPath mount (learned state must outlive the pod)")
    # The sensor's own config, loaded by the real config reader.
    text = cm["data"].get("bucketwatch.yaml", "")
    conf = yaml.safe_load(text)
    listen = conf.get("metrics", {}).get("listen", "")
    check(listen.rsplit(":", 1)[-1] == str(mport), "metrics.listen port = probed port")
    check(not listen.startswith("127."), "metrics.listen must be reachable by the kubelet probe (hostNetwork)")
    if binary:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        r = subprocess.run([binary, "--check-config", "--config", f.name], capture_output=True, text=True)
        os.unlink(f.name)
        check(r.returncode == 0, "bucketwatch --check-config rejects the ConfigMap: " + r.stderr.strip())
    # Prometheus job for the DaemonSet.
    with open(os.path.join(src, "deploy/prometheus/kubernetes-scrape-job.yml")) as f:
        job = yaml.safe_load(f)["scrape_configs"][0]
    check(job["kubernetes_sd_configs"][0]["role"] == "pod", "scrape job discovers pods")
    check(ns in job["kubernetes_sd_configs"][0]["namespaces"]["names"], "scrape job namespace")
    keep = [r for r in job["relabel_configs"] if r.get("action") == "keep"]
    check(keep and keep[0]["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
          "scrape job keeps annotated pods")
    if shutil.which("kubectl"):
        r = subprocess.run(["kubectl", "kustomize", kdir], capture_output=True, text=True)
        check(r.returncode == 0, "kubectl kustomize: " + r.stderr.strip())
        rendered = [d for d in yaml.safe_load_all(r.stdout) if d]
        check(len(rendered) == len(docs), "kustomization lists every manifest")


if __name__ == "__main__":
    main()
    if errors:
        print("FAIL:\n  " + "\n  ".join(errors), file=sys.stderr)
        sys.exit(1)
    print("ok: Kubernetes manifests parse and have the required fields")
