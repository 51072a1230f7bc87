#!/usr/bin/env python3
"""Helper for the Cinder anchor: keystone registration and readiness.

Subcommands:
  register   service project/roles, users cinder + glance (admin+service in project service),
             catalog entries: image -> glance, block-storage (.../v3) and volumev3
             (.../v3/$(project_id)s) -> cinder-api
  wait       wait until GET /v3/volumes answers 200 and cinder-scheduler plus the cinder-volume
             backend report "up" in /os-services and the scheduler knows the backend's pool
             (i.e. the driver initialised and reported capabilities); prints seconds waited
Reads ports/passwords from the environment exported by env.sh.
"""
import argparse
import os
import sys
import time

import requests

E = os.environ
BIND = E.get("BIND", "127.0.0.1")
KS = "http://%s:%s/v3" % (BIND, E.get("KS_PORT", "28700"))
CINDER = "http://%s:%s" % (BIND, E.get("CINDER_PORT", "28776"))
GLANCE = "http://%s:%s" % (BIND, E.get("GLANCE_PORT", "28792"))
# type: (service name, url); keystone substitutes $(project_id)s in the catalog
ENDPOINTS = {
    "image": ("glance", GLANCE),
    "block-storage": ("cinder", CINDER + "/v3"),
    "volumev3": ("cinderv3", CINDER + "/v3/$(project_id)s"),
}


def token(user="admin", password=None, project="admin"):
    password = password or E.get("ADMIN_PASSWORD", "admin-anchor-pw")
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
    r = requests.post(KS + "/auth/tokens", json=body, timeout=60)
    r.raise_for_status()
    return r.headers["X-Subject-Token"], r.json()["token"]


class Client:
    def __init__(self, base, tok):
        self.base = base
        self.h = {"X-Auth-Token": tok}

    def req(self, method, path, body=None, ok=(200, 201, 204), **params):
        r = requests.request(method, self.base + path, headers=self.h, json=body,
                             params=params or None, timeout=60)
        if r.status_code not in ok:
            raise SystemExit("%s %s -> %s %s" % (method, path, r.status_code, r.text[:500]))
        return r.json() if r.content else None

    def ensure(self, coll, key, match, body):
        items = self.req("GET", "/" + coll, **match)[coll]
        if items:
            return items[0]
        return self.req("POST", "/" + coll, {key: body})[key]


def register():
    ks = Client(KS, token()[0])
    dom = ks.req("GET", "/domains", name="Default")["domains"][0]["id"]
    proj = ks.ensure("projects", "project", {"name": "service"},
                     {"name": "service", "domain_id": dom})
    roles = {n: ks.ensure("roles", "role", {"name": n}, {"name": n})
             for n in ("admin", "service", "member", "reader")}
    pw = E.get("SERVICE_PASSWORD", "service-anchor-pw")
    for uname in ("cinder", "glance"):
        u = ks.ensure("users", "user", {"name": uname},
                      {"name": uname, "domain_id": dom, "password": pw})
        for rn in ("admin", "service"):
            ks.req("PUT", "/projects/%s/users/%s/roles/%s" % (proj["id"], u["id"], roles[rn]["id"]))
    for stype, (name, url) in ENDPOINTS.items():
        svc = ks.ensure("services", "service", {"type": stype},
                        {"type": stype, "name": name, "enabled": True})
        have = ks.req("GET", "/endpoints", service_id=svc["id"])["endpoints"]
        for iface in ("public", "internal"):
            if not any(e["interface"] == iface for e in have):
                ks.req("POST", "/endpoints", {"endpoint": {
                    "service_id": svc["id"], "interface": iface, "url": url,
                    "region_id": "RegionOne", "enabled": True}})
    print("keystone registration done (%s)" % ", ".join(
        "%s %s" % (t, u) for t, (_, u) in ENDPOINTS.items()))


def wait(timeout):
    t0 = time.time()
    tok, last = None, ""
    while time.time() - t0 < timeout:
        try:
            tok = tok or token()[0]
            h = {"X-Auth-Token": tok}
            r = requests.get(CINDER + "/v3/volumes", headers=h, timeout=30)
            if r.status_code == 200:
                s = requests.get(CINDER + "/v3/os-services", headers=h, timeout=30)
                up = {x["binary"] for x in s.json().get("services", [])
                      if x["state"] == "up" and x["status"] == "enabled"}
                pools = requests.get(CINDER + "/v3/scheduler-stats/get_pools", headers=h,
                                     timeout=30).json().get("pools", [])
                if {"cinder-scheduler", "cinder-volume"} <= up and pools:
                    print("cinder API + scheduler + volume (pool %s) up after %.2f s"
                          % (pools[0]["name"], time.time() - t0))
                    return
                last = "services up: %s, pools: %d" % (sorted(up), len(pools))
            else:
                last = "HTTP %s" % r.status_code
        except (requests.RequestException, ValueError) as e:
            last = repr(e)[:200]
        time.sleep(0.3)
    sys.exit("cinder not ready after %ss (%s)" % (timeout, last))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["register", "wait"])
    ap.add_argument("--timeout", type=float, default=180)
    a = ap.parse_args()
    if a.cmd == "register":
        register()
    else:
        wait(a.timeout)


if __name__ == "__main__":
    main()
