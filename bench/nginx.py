"""Serve a generated store with nginx (Debian's package) on 127.0.0.1, as a server that is not the bottleneck."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

__all__ = ["Nginx", "NginxMissing"]

CONFIG = """
{user}worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {access_log};
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60;
    # LinkChecker caps itself at 10 requests/s per host (and sleeps holding a global lock, so
    # its 10 threads look hung) unless the server answers with this header: lift it, as for a peer.
    add_header LinkChecker "unlimited" always;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        # Every product image and srcset variant is one small real file; missing-* stay 404.
        location ~ ^/img/p\\d+-\\d+(-\\d+)?\\.jpg$ {{ try_files /img/_any.jpg =404; }}
        location / {{ try_files $uri $uri.html ${{uri}}index.html =404; }}
    }}
}}
"""


class NginxMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """``with Nginx(site_dir) as server: server.url``; writes its config and sitemap under ``run_dir``."""

    def __init__(self, root: Path, run_dir: Path, *, access_log: bool = False):
        self.root = Path(root).resolve()
        self.run_dir = Path(run_dir).resolve()
        self.access_log = self.run_dir / "access.log" if access_log else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Nginx:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if binary is None:
            raise NginxMissing("nginx is not installed (apt-get install nginx-light)")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        template = self.root / "sitemap.tmpl"
        if template.exists():
            (self.root / "sitemap.xml").write_text(template.read_text().replace("http://bench.invalid", self.url.rstrip("/")))
        conf = self.run_dir / "nginx.conf"
        # Started as root, nginx's worker would run as nobody and could not read a store kept in a
        # private folder (pytest's tmp_path is 0700): keep the worker as the user who started it.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(CONFIG.format(user=user, run=self.run_dir, port=self.port, root=self.root,
                                      access_log=self.access_log or "off"))
        self.proc = subprocess.Popen([binary, "-c", str(conf), "-e", str(self.run_dir / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=1).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {self.proc.stderr.read().decode()[:500]}")
                time.sleep(0.05)
        raise RuntimeError("nginx did not answer within 10 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
