"""A Docker engine of our own, offline: start dockerd under ``var/``, make a bookworm base, fill a wheelhouse.

- :class:`Engine` starts ``dockerd`` with its state, exec root and socket in one directory (overlay2, or vfs when
  the kernel refuses overlay mounts), never touches iptables, and stops it by the PID it started.
- :func:`ensure_base` makes ``local/python:3.11-bookworm`` (or the arm64 twin) from Debian packages with
  ``debootstrap`` and ``docker import`` when no such image exists; the image carries the key of its recipe as a
  label, so a changed recipe makes a new one.
- :func:`fill_wheelhouse` downloads on the host, from the locks, every wheel the Dockerfile's
  ``PACKAGES=wheelhouse`` stages install (the build containers cannot reach any package index).

Nothing here listens on a network address: dockerd listens on a unix socket; its bridge (docker0) is a network
namespace the engine itself creates.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCKS = (REPO / "requirements" / "lambda.txt", REPO / "requirements" / "lambda-onnx.txt")
# PyAV, which the ONNX image installs by default for aac (Dockerfile ARG AV_VERSION, AUDIO_EXTRAS=aac).
AAC_PIN = "av==18.1.0"
# What the build stages install beyond the locks: the build backend for the package itself (setuptools>=77
# understands project.license), the ONNX exporter of the onnx-export stage (Dockerfile ARG ONNX_VERSION) and PyAV.
BUILD_EXTRAS = ("setuptools>=77", "wheel", "onnx==1.23.2", AAC_PIN)
# Pins with no wheel on PyPI (pure-Python sdists, built in the image): downloaded as sdists for any platform.
SDIST_ONLY = ("jieba", "zhconv")
# Extra wheels for a foreign architecture's wheelhouse: onnxruntime's pinned release segfaults at import under Debian
# bookworm's qemu-aarch64 7.2 (QEMU_CPU=max, cortex-a72 and neoverse-n1 alike); 1.23.2 imports and runs there, so the
# arm64 check under emulation builds with ONNXRUNTIME_VERSION set to it. Downloaded without their dependencies: the
# image installs them with --no-deps (the lock pins all that inference needs).
EMULATION_ONNXRUNTIME = "1.23.2"
FOREIGN_EXTRAS = (f"onnxruntime=={EMULATION_ONNXRUNTIME}", AAC_PIN)
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates")
SUITE = "bookworm"


class EngineError(RuntimeError):
    """A docker command (or debootstrap, or pip download for the wheelhouse) failed."""


class EngineUnavailable(EngineError):
    """No Docker engine can be started on this machine (no dockerd, not root, or the daemon refuses to run)."""


def arch_name(arch: str | None = None) -> str:
    """``amd64`` or ``arm64`` (Debian's names) for ``arch`` or this machine."""
    m = (arch or platform.machine()).lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[m]


class Engine:
    """``with Engine(state_dir) as eng:`` a dockerd of our own; ``eng.env`` has its DOCKER_HOST."""

    def __init__(self, state: Path, storage_driver: str | None = None, start_timeout: float = 60) -> None:
        self.state = Path(state)
        self.storage_driver = storage_driver
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.bridge: str | None = None  # a bridge of our own, so that two engines on one machine never share one
        self.socket = self.state / "docker.sock"
        self.env = {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_BUILDKIT": "0"}
        self.driver = ""

    # ----------------------------------------------------------------------------------------- lifecycle
    def start(self) -> Engine:
        if shutil.which("dockerd") is None:
            raise EngineUnavailable("dockerd is not installed (apt-get install docker.io)")
        if os.geteuid() != 0:
            raise EngineUnavailable("dockerd needs root")
        drivers = [self.storage_driver] if self.storage_driver else ["overlay2", "vfs"]
        errors = []
        for driver in drivers:
            try:
                self._make_bridge()
                self._start(driver)
                image = self._any_image()
                if image:  # can this driver mount a container's root? (overlay2 fails here on some kernels)
                    self.run("run", "--rm", "--pull", "never", "--network", "none", image, "true")
                self.driver = driver
                return self
            except EngineError as e:
                errors.append(f"{driver}: {e}")
                self.stop()
        raise EngineUnavailable("; ".join(errors))

    def _start(self, driver: str) -> None:
        data = self.state / ("data" if driver == "overlay2" else f"data-{driver}")
        exec_root = self.state / "exec"
        for d in (data, exec_root):
            d.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        log = (self.state / "dockerd.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603
            ["dockerd", f"--storage-driver={driver}", "--iptables=false", "--ip-masq=false",  # noqa: S607
             *(["--bridge", self.bridge] if self.bridge else []),
             "--data-root", str(data), "--exec-root", str(exec_root), "-H", f"unix://{self.socket}",
             "--pidfile", str(self.state / "dockerd.pid")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.state / "dockerd.log").read_text(errors="replace").splitlines()[-5:]
                raise EngineError(f"dockerd exited with {self.proc.returncode}: {' | '.join(tail)}")
            if self.socket.exists() and self.run("version", check=False).returncode == 0:
                return
            time.sleep(0.5)
        raise EngineError(f"dockerd did not answer within {self.start_timeout:.0f} s")

    def _make_bridge(self) -> None:
        """Create a bridge interface with a /24 no interface on this machine uses yet (172.29.N.0/24)."""
        if shutil.which("ip") is None:
            return  # dockerd makes docker0 itself
        used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=False).stdout  # noqa: S607
        for n in range(10, 250):
            net = f"172.29.{n}."
            if net in used:
                continue
            name = f"sbr{os.getpid() % 100000}"
            cmds = [["ip", "link", "add", "name", name, "type", "bridge"],
                    ["ip", "addr", "add", f"{net}1/24", "dev", name], ["ip", "link", "set", name, "up"]]
            for c in cmds:
                if subprocess.run(c, capture_output=True, check=False).returncode != 0:  # noqa: S603
                    self._drop_bridge(name)
                    return
            self.bridge = name
            return

    @staticmethod
    def _drop_bridge(name: str) -> None:
        subprocess.run(["ip", "link", "delete", name], capture_output=True, check=False)  # noqa: S603, S607

    def _any_image(self) -> str | None:
        out = self.run("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
        return next((i for i in out if i.startswith("local/python:")), None)

    def stop(self) -> None:
        """SIGTERM the dockerd we started (its containers stop with it), SIGKILL after 30 s; drop our bridge."""
        for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
            if self.proc is None:
                break
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.proc = None
        if self.bridge:
            self._drop_bridge(self.bridge)
            self.bridge = None

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------- commands
    def run(self, *args: str, check: bool = True, timeout: float | None = None, input: bytes | None = None,
            log: Path | None = None) -> subprocess.CompletedProcess:
        """``docker ARGS`` against this engine; output captured (or appended to ``log``)."""
        if log is not None:
            with log.open("ab") as fh:
                p = subprocess.run(["docker", *args], env=self.env, stdout=fh, stderr=subprocess.STDOUT,  # noqa: S603, S607
                                   timeout=timeout, input=input, check=False)
        else:
            p = subprocess.run(["docker", *args], env=self.env, capture_output=True, timeout=timeout,  # noqa: S603, S607
                               input=input, check=False)
            p.stdout, p.stderr = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        if check and p.returncode != 0:
            where = f"see {log}" if log else (p.stderr or p.stdout)[-2000:]
            raise EngineError(f"docker {' '.join(args[:3])} ... failed ({p.returncode}): {where}")
        return p

    def inspect(self, ref: str) -> dict | None:
        p = self.run("image", "inspect", ref, check=False)
        return json.loads(p.stdout)[0] if p.returncode == 0 else None

    def bridge_ip(self) -> str:
        """The gateway address of the engine's default bridge (docker0), e.g. 172.17.0.1."""
        out = self.run("network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}").stdout
        ip = out.strip()
        if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip):
            raise EngineError(f"no bridge gateway address: {out!r}")
        return ip


# --------------------------------------------------------------------------------------------- base image


def apt_mirror() -> str:
    """The Debian URI apt uses on this host (deb822 ``URIs:`` or a classic ``deb`` line)."""
    for f in [*sorted(Path("/etc/apt/sources.list.d").glob("*")), Path("/etc/apt/sources.list")]:
        with contextlib.suppress(OSError):
            text = f.read_text()
            for line in text.splitlines():
                m = re.match(r"\s*URIs:\s*(\S+)", line) or re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\b", line)
                if m and "security" not in m.group(1):
                    return m.group(1)
    return "http://deb.debian.org/debian"


def base_tag(arch: str) -> str:
    return "local/python:3.11-bookworm" + ("" if arch == "amd64" else f"-{arch}")


def base_key(arch: str) -> str:
    recipe = json.dumps({"suite": SUITE, "variant": "minbase", "include": BASE_PACKAGES, "arch": arch})
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def ensure_base(engine: Engine, work: Path, arch: str = "amd64", log: Path | None = None) -> dict:
    """The bookworm + Python 3.11 base image for ``arch``; made with debootstrap when missing. Returns
    ``{"tag", "made", "seconds"}``."""
    tag, key = base_tag(arch), base_key(arch)
    info = engine.inspect(tag)
    if (info and ((info.get("Config") or {}).get("Labels") or {}).get("org.sambert.base-key") == key
            and info.get("Architecture") == arch):
        return {"tag": tag, "made": False, "seconds": 0.0}
    t0 = time.monotonic()
    rootfs = work / f"rootfs-{arch}"
    stamp = work / f"rootfs-{arch}.{key}.ok"
    if not stamp.exists():
        if shutil.which("debootstrap") is None:
            raise EngineError("debootstrap is not installed (apt-get install debootstrap)")
        if rootfs.exists():
            shutil.rmtree(rootfs)
        work.mkdir(parents=True, exist_ok=True)
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", f"--arch={arch}",
               SUITE, str(rootfs), apt_mirror()]
        with (log or work / f"debootstrap-{arch}.log").open("ab") as fh:
            rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False).returncode  # noqa: S603
        if rc != 0:
            raise EngineError(f"debootstrap {arch} failed ({rc}); see {log or work}")
        # apt lists and caches are not needed in a base for pip-installed images
        for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for p in (rootfs / sub).glob("*"):
                if p.is_file():
                    p.unlink()
        stamp.touch()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)  # noqa: S603, S607
    imp = subprocess.run(  # noqa: S603
        ["docker", "import", "--platform", f"linux/{arch}", "--change", f"LABEL org.sambert.base-key={key}",  # noqa: S607
         "--change", 'CMD ["python3"]', "-", tag],
        stdin=tar.stdout, env=engine.env, capture_output=True, check=False,
    )
    tar.wait()
    if imp.returncode != 0:
        raise EngineError(f"docker import failed: {imp.stderr.decode(errors='replace')[-500:]}")
    if (engine.inspect(tag) or {}).get("Architecture") != arch:
        set_architecture(engine, tag, arch)
    return {"tag": tag, "made": True, "seconds": round(time.monotonic() - t0, 1)}


def set_architecture(engine: Engine, tag: str, arch: str) -> None:
    """Give ``tag`` the architecture ``arch`` in its image config: dockerd 20.10's ``docker import`` writes its own
    architecture whatever ``--platform`` says, and the stages built on a base inherit the base's. ``docker save``
    streamed through :func:`rewrite_saved_architecture` into ``docker load``."""
    save = subprocess.Popen(["docker", "save", tag], env=engine.env, stdout=subprocess.PIPE)  # noqa: S603, S607
    load = subprocess.Popen(["docker", "load", "-q"], env=engine.env, stdin=subprocess.PIPE,  # noqa: S607
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rewrite_saved_architecture(save.stdout, load.stdin, arch)
    load.stdin.close()
    err = load.stderr.read()
    if save.wait() != 0 or load.wait() != 0:
        raise EngineError(f"setting the architecture of {tag} failed: {err.decode(errors='replace')[-500:]}")
    if (engine.inspect(tag) or {}).get("Architecture") != arch:
        raise EngineError(f"{tag} still does not say {arch} after docker load")


def rewrite_saved_architecture(src, dst, arch: str) -> None:
    """Copy a ``docker save`` tar stream from ``src`` to ``dst`` with ``architecture`` set to ``arch`` in the image
    config, which is renamed to its new digest in manifest.json; the layers pass through unread."""
    import tarfile

    small: dict[str, bytes] = {}
    with tarfile.open(fileobj=src, mode="r|") as tin, tarfile.open(fileobj=dst, mode="w|") as tout:
        for member in tin:
            if member.isfile() and "/" not in member.name:  # manifest.json, the config, repositories: written last
                small[member.name] = tin.extractfile(member).read()
                continue
            tout.addfile(member, tin.extractfile(member) if member.isfile() else None)
        (manifest,) = json.loads(small.pop("manifest.json"))
        config = json.loads(small.pop(manifest["Config"]))
        config["architecture"] = arch
        config_bytes = json.dumps(config, separators=(",", ":")).encode()
        manifest["Config"] = hashlib.sha256(config_bytes).hexdigest() + ".json"
        small[manifest["Config"]] = config_bytes
        small["manifest.json"] = json.dumps([manifest]).encode()
        for name, data in small.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


# --------------------------------------------------------------------------------------------- wheelhouse


def pip_platform_args(arch: str) -> list[str]:
    """pip download options for ``arch`` when it is not this machine's (binary wheels for cp311 only)."""
    if arch == arch_name():
        return []
    m = {"arm64": "aarch64", "amd64": "x86_64"}[arch]
    plats = [a for tag in ("manylinux2014", "manylinux_2_17", "manylinux_2_27", "manylinux_2_28")
             for a in ("--platform", f"{tag}_{m}")]
    return [*plats, "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp"]


def fill_wheelhouse(dest: Path, arch: str = "amd64", python: str | None = None, log: Path | None = None) -> dict:
    """``pip download`` every pin of both locks plus the build extras into ``dest`` (cached: a stamp per locks
    hash). Returns ``{"dir", "files", "downloaded"}``.

    For another architecture (arm64 on an x86 host) only the torch-free lock is downloaded, as binary wheels for
    that platform, plus the pure-Python sdists (jieba, zhconv) as they are: torch's arm64 wheel on PyPI requires
    CUDA packages, and the PyTorch CPU index may be unreachable, so the foreign image is the ONNX one."""
    import sys

    native = arch == arch_name()
    locks = LOCKS if native else (LOCKS[1],)
    extras = BUILD_EXTRAS if native else ("setuptools>=77", "wheel", *FOREIGN_EXTRAS)
    h = hashlib.sha256(b"".join(p.read_bytes() for p in locks) + repr(extras).encode()).hexdigest()[:16]
    stamp = dest / f".filled-{h}"
    downloaded = False
    if not stamp.exists():
        dest.mkdir(parents=True, exist_ok=True)
        pip = [python or sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "-d", str(dest)]
        cmds = []
        if native:
            cmds.append([*pip, *(a for lock in locks for a in ("-r", str(lock))), *BUILD_EXTRAS])
        else:
            pins = [ln.strip() for ln in locks[0].read_text().splitlines() if "==" in ln and not ln.startswith("#")]
            sdists = [p for p in pins if p.split("==")[0] in SDIST_ONLY]
            binary = dest.parent / f"binary-pins-{arch}.txt"
            binary.write_text("\n".join(p for p in pins if p not in sdists) + "\n")
            cmds.append([*pip, *pip_platform_args(arch), "-r", str(binary), "setuptools>=77", "wheel"])
            cmds.append([*pip, *pip_platform_args(arch), "--no-deps", *FOREIGN_EXTRAS])
            cmds.append([*pip, "--no-deps", "--no-binary=:all:", *sdists])
        with (log or dest.parent / f"wheelhouse-{arch}.log").open("ab") as fh:
            for cmd in cmds:
                rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False).returncode  # noqa: S603
                if rc != 0:
                    raise EngineError(f"pip download for {arch} failed ({rc}); see {log or dest.parent}")
        for old in dest.glob(".filled-*"):
            old.unlink()
        stamp.touch()
        downloaded = True
    return {"dir": str(dest), "files": len([p for p in dest.iterdir() if not p.name.startswith(".")]),
            "downloaded": downloaded}


def stage_wheelhouse(*srcs: Path, context_dir: Path = REPO / "wheelhouse") -> int:
    """Put the wheels of every ``srcs`` directory into the build context's ``wheelhouse/`` (hard links when
    possible), removing any others; its README.md stays. pip picks each platform's wheels from the union, and
    one unchanged set keeps the build cache valid for every architecture. Returns the number of files staged."""
    files = {p.name: p for src in srcs for p in src.iterdir() if not p.name.startswith(".") and p.is_file()
             and not p.name.endswith(".txt")}
    for p in context_dir.iterdir():
        if p.name != "README.md" and p.name not in files:
            p.unlink()
    for name, path in files.items():
        target = context_dir / name
        if target.exists():
            continue
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    return len(files)


def binfmt_aarch64() -> str | None:
    """None when arm64 binaries run here (qemu-aarch64 registered with binfmt_misc), else the reason they do not."""
    entry = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    if not entry.exists():
        return "qemu-aarch64 is not registered with binfmt_misc (apt-get install qemu-user-static binfmt-support)"
    if not entry.read_text().startswith("enabled"):
        return "qemu-aarch64 is registered but disabled"
    return None
