#!/usr/bin/env python3
"""deploy/docker: the Dockerfile is multi-stage on Debian 12, runs as a fixed non-root user with
file capabilities (setcap cap_net_raw,cap_net_admin) and a /healthz health check; the runtime
stage installs a runtime package for every library the built binary links (checked with ldd
against the Debian package that owns each library, when dpkg is available); the compose example
parses and keeps only NET_RAW/NET_ADMIN and no no-new-privileges (which would void the file
capabilities). With a reachable Docker daemon and BW_DOCKER_BUILD=1 the image is also built.
Usage: check_docker.py SOURCE_DIR [BUCKETWATCH]
"""
import os
import re
import shutil
import subprocess
import sys

import yaml

errors = []


def check(cond, message):
    if not cond:
        errors.append(message)


def main():
    src = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else None
    text = open(os.path.join(src, "deploy/docker/Dockerfile")).read()
    # Join continuation lines so each instruction is one line.
    lines = [l for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.lstrip().startswith("#")]
    froms = [l for l in lines if l.startswith("FROM ")]
    check(len(froms) >= 2, "multi-stage (two FROM lines)")
    check(all("debian:12" in f for f in froms), "every stage on Debian 12")
    stages = [f.split()[-1] for f in froms if " AS " in f]
    check(any(l.startswith("COPY --from=" + stages[0]) for l in lines) if stages else False,
          "runtime copies the binary from the build stage")
    final = text[text.rfind("FROM "):]
    users = re.findall(r"^USER (\S+)", final, re.M)
    check(users and not users[-1].startswith(("root", "0")), "final stage runs as a non-root USER")
    check(re.search(r"setcap cap_net_raw,cap_net_admin\+eip /usr/local/bin/bucketwatch", final) is not None,
          "file capabilities via setcap (cap_net_raw,cap_net_admin only)")
    check(re.search(r"useradd[^\n]*--uid 999", text) is not None, "fixed uid 999 (the DaemonSet runs as 999)")
    check("HEALTHCHECK" in final and "/healthz" in final, "HEALTHCHECK on /healthz")
    check(re.search(r"^EXPOSE 9580", final, re.M) is not None, "EXPOSE 9580")
    runtime_install = " ".join(l for l in final.splitlines() if "apt-get install" in l or l.startswith("        "))
    if binary and shutil.which("ldd") and shutil.which("dpkg"):
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
        where = dict(re.findall(r"^\s*(\S+) => (/\S+)", ldd, re.M))
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                            subprocess.run(["readelf", "-d", binary], capture_output=True,
                                           text=True).stdout)
        # Direct dependencies only: apt pulls in the libraries those depend on.
        for lib in (where[n] for n in needed if n in where):
            r = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True)
            if r.returncode != 0:
                r = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
            if r.returncode != 0:
                continue
            pkg = r.stdout.split(":")[0]
            if pkg in ("libc6", "libstdc++6", "libgcc-s1", "libgomp1"):
                continue  # in debian:12-slim already
            check(pkg in runtime_install or pkg.replace(":amd64", "") in runtime_install,
                  f"runtime stage lacks {pkg} (for {os.path.basename(lib)})")
    compose = yaml.safe_load(open(os.path.join(src, "deploy/docker/compose.yaml")))
    svc = compose["services"]["bucketwatch"]
    check(svc.get("cap_drop") == ["ALL"], "compose: cap_drop ALL")
    check(sorted(svc.get("cap_add", [])) == ["NET_ADMIN", "NET_RAW"], "compose: cap_add NET_RAW, NET_ADMIN")
    check(not any("no-new-privileges" in s for s in svc.get("security_opt", [])),
          "compose: no-new-privileges would drop the file capabilities")
    check(svc.get("network_mode") == "host", "compose: host network to see the tap interface")
    check("healthcheck" in svc and "/healthz" in " ".join(svc["healthcheck"]["test"]), "compose: /healthz check")
    check(svc["build"]["dockerfile"] == "deploy/docker/Dockerfile", "compose builds the Dockerfile")
    # Learned state survives a container restart only on the state volume.
    command = [str(a) for a in svc.get("command", [])]
    state_dir = command[command.index("--state-dir") + 1] if "--state-dir" in command else ""
    volumes = [str(v).split(":")[1] for v in svc.get("volumes", []) if str(v).count(":") >= 1]
    check(any(state_dir.startswith(v + "/") for v in volumes),
          "compose: --state-dir inside a volume (learned state must outlive the container)")
    check('"--state-dir", "/var/lib/bucketwatch/state"' in text,
          "Dockerfile CMD keeps state in the /var/lib/bucketwatch volume")
    if os.environ.get("BW_DOCKER_BUILD") == "1":
        r = subprocess.run(["docker", "build", "-f", "deploy/docker/Dockerfile", "-t", "bucketwatch:test", "."],
                           cwd=src)
        check(r.returncode == 0, "docker build failed")


if __name__ == "__main__":
    main()
    if errors:
        print("FAIL:\n  " + "\n  ".join(errors), file=sys.stderr)
        sys.exit(1)
    print("ok: Dockerfile and compose example have what the deployment needs")
