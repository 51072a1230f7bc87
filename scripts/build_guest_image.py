#!/usr/bin/env python3
"""Build onestack's own guest image: `python3 scripts/build_guest_image.py --out DIR`.

The image plays the CirrOS role for tests and Tempest: a Debian cloud kernel, an
initramfs with busybox, dropbear and the init in scripts/guest/, and syslinux on a
FAT partition, written as DIR/onestack-guest.qcow2. Packages come from Debian with
`apt-get download` into ~/.cache/onestack-guest/debs and are only unpacked, never
installed on the host. No step mounts anything or needs a loop device, so a build
runs unprivileged (only refreshing missing or stale package lists needs root).

A build is skipped when DIR already holds an image made from the same inputs (this
script, scripts/guest/ and the package versions), which makes reruns instant.
Standard library only; the host needs apt, dpkg-deb, ldd, mkfs.vfat, mtools and
qemu-img.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GUEST_FILES = HERE / "guest"
DEFAULT_CACHE = Path.home() / ".cache" / "onestack-guest"
IMAGE_NAME = "onestack-guest.qcow2"
ARCH = "amd64"  # the guest's, whatever else the host's apt knows
KERNEL_METAPACKAGE = "linux-image-cloud-amd64"
PACKAGES = ("busybox-static", "dropbear-bin", "libtomcrypt1", "libtommath1", "libgmp10",
            "syslinux", "syslinux-common")
# The cloud kernel builds virtio and the filesystems as modules; these are the
# ones a guest needs (their dependencies are added from each module's modinfo).
MODULES = ("virtio_pci", "virtio_net", "virtio_blk", "virtio_scsi", "virtio_rng",
           "virtio_balloon", "virtio_console", "ata_piix", "sd_mod", "sr_mod",
           "isofs", "vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8", "nls_ascii",
           "button", "evdev", "pvpanic_mmio")
# no_timer_check: a TCG guest on a loaded host can fail the kernel's early check of the
# timer interrupt and panic ("IO-APIC + timer doesn't work"); skipping it costs nothing
KERNEL_ARGS = "console=tty0 console=ttyS0,115200n8 quiet scsi_mod.scan=sync no_timer_check"
SECTOR = 512
PARTITION_START = 2048  # sectors: the usual 1 MiB alignment
PARTITION_MIB = 47
# The second partition, left empty: the guest makes its state file system there at
# first boot (/tmp, /root and /home, which then survive reboots and snapshots).
DISK_MIB = 128
# where each file of scripts/guest/ goes in the guest, and its mode
GUEST_LAYOUT = {
    "rcS": ("etc/init.d/rcS", 0o755),
    "rcK": ("etc/init.d/rcK", 0o755),
    "inittab": ("etc/inittab", 0o644),
    "udhcpc.script": ("usr/share/udhcpc/default.script", 0o755),
    "json.awk": ("lib/onestack/json.awk", 0o644),
    "hotplug": ("lib/onestack/hotplug", 0o755),
    "find-label": ("lib/onestack/find-label", 0o755),
    "passwd": ("etc/passwd", 0o644),
    "shadow": ("etc/shadow", 0o600),
    "group": ("etc/group", 0o644),
    "shells": ("etc/shells", 0o644),
    "profile": ("etc/profile", 0o644),
    "sudo": ("bin/sudo", 0o755),
    "lsblk": ("bin/lsblk", 0o755),
    "blkid": ("bin/blkid", 0o755),
    "mkfs": ("bin/mkfs", 0o755),
    "curl": ("bin/curl", 0o755),
    "power-button": ("etc/acpi/PWRF/00000080", 0o755),
}
SYSLINUX_CFG = f"""DEFAULT onestack
PROMPT 0
TIMEOUT 0
LABEL onestack
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND {KERNEL_ARGS}
"""


def log(message: str) -> None:
    print(f"build_guest_image: {message}", file=sys.stderr, flush=True)


def run(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def tool(name: str) -> str:
    """A host tool's path; mkfs.vfat lives in /usr/sbin, off a normal user's PATH."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        raise SystemExit(f"{name} is missing (Debian: dosfstools, mtools, qemu-utils)")
    return found


def output(*args: str | Path, env: dict | None = None) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True,
                          text=True, env=env).stdout


# --- Debian packages -------------------------------------------------------------

@dataclass(frozen=True)
class Package:
    name: str
    version: str
    arch: str

    @property
    def deb_name(self) -> str:
        """The file name `apt-get download` gives it (the epoch's colon escaped)."""
        return f"{self.name}_{self.version.replace(':', '%3a')}_{self.arch}.deb"


def candidates(names: list[str]) -> list[Package]:
    """The versions apt would install, from the local package lists (one apt-cache);
    amd64 ones, also where the host has more architectures."""
    text = output("apt-cache", "show", "--no-all-versions", *(f"{n}:{ARCH}" for n in names))
    found = []
    for stanza in text.split("\n\n"):
        fields = dict(re.findall(r"^(Package|Version|Architecture): (\S+)$", stanza, re.M))
        if fields:
            found.append(Package(fields["Package"], fields["Version"], fields["Architecture"]))
    if sorted(p.name for p in found) != sorted(names):
        raise KeyError(f"apt-cache knows {[p.name for p in found]}, not all of {names}")
    return found


def kernel_package_name() -> str:
    """The real linux-image-*-cloud-amd64 package the metapackage points at."""
    text = output("apt-cache", "depends", "--no-recommends", "--no-suggests",
                  KERNEL_METAPACKAGE)
    found = re.search(r"Depends: (linux-image-\S+-cloud-amd64)\b", text)
    if not found:
        raise KeyError(f"{KERNEL_METAPACKAGE} names no linux-image-*-cloud-amd64")
    return found.group(1)


def resolve_packages() -> list[Package]:
    try:
        return candidates([kernel_package_name(), *PACKAGES])
    except (subprocess.CalledProcessError, KeyError):
        update_package_lists("apt-cache does not know the packages")
        return candidates([kernel_package_name(), *PACKAGES])


def update_package_lists(why: str) -> None:
    if os.geteuid() != 0:
        raise SystemExit(f"{why}: run apt-get update")
    log(f"{why}; running apt-get update")
    run("apt-get", "update", "-qq")


def download(packages: list[Package], debs: Path) -> None:
    """Fetch the .debs the cache lacks; a warm cache asks the network nothing."""
    debs.mkdir(parents=True, exist_ok=True)
    missing = [p for p in packages if not (debs / p.deb_name).exists()]
    if not missing:
        return
    log("downloading " + " ".join(p.name for p in missing))
    run("apt-get", "download", "-q", "-o", "APT::Sandbox::User=root",
        *(f"{p.name}:{ARCH}={p.version}" for p in missing), cwd=debs,
        stdout=subprocess.DEVNULL)
    for package in missing:
        if not (debs / package.deb_name).exists():
            raise SystemExit(f"apt-get download left no {package.deb_name}")


def fetch_packages(packages: list[Package], debs: Path) -> list[Package]:
    """The packages downloaded; stale package lists (a version the mirror no longer
    has) are refreshed once, which may change the versions."""
    try:
        download(packages, debs)
    except subprocess.CalledProcessError:
        update_package_lists("apt-get download failed")
        packages = resolve_packages()
        download(packages, debs)
    return packages


def extract(packages: list[Package], debs: Path, staging: Path) -> None:
    for package in packages:
        run("dpkg-deb", "-x", debs / package.deb_name, staging)


# --- the initramfs ---------------------------------------------------------------

@dataclass
class Tree:
    """The guest's root filesystem as cpio entries: made in memory so that
    owners, device nodes and timestamps need no privileges and every build of
    the same inputs gives the same bytes."""
    entries: dict[str, tuple[int, bytes, int]] = field(default_factory=dict)

    def directory(self, path: str, mode: int | None = None) -> None:
        """Add a directory and its missing parents; `mode` replaces the mode
        of an existing one, without it an existing one is left as it is."""
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            self.entries.setdefault("/".join(parts[:depth]), (0o040755, b"", 0))
        if mode is not None or path not in self.entries:
            self.entries[path] = (0o040000 | (0o755 if mode is None else mode), b"", 0)

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self._parent(path)
        self.entries[path] = (0o100000 | mode, data, 0)

    def symlink(self, path: str, target: str) -> None:
        self._parent(path)
        self.entries[path] = (0o120777, target.encode(), 0)

    def _parent(self, path: str) -> None:
        if "/" in path:
            self.directory(path.rsplit("/", 1)[0])

    def device(self, path: str, major: int, minor: int, mode: int = 0o600) -> None:
        self.entries[path] = (0o020000 | mode, b"", os.makedev(major, minor))

    def cpio(self) -> bytes:
        """The tree in the kernel's `newc` cpio format, parents before children."""
        chunks = []
        for inode, name in enumerate(sorted(self.entries), start=1):
            mode, data, rdev = self.entries[name]
            chunks.append(_cpio_entry(name, mode, data, inode, rdev))
        chunks.append(_cpio_entry("TRAILER!!!", 0, b"", 0, 0))
        return b"".join(chunks)


def _cpio_entry(name: str, mode: int, data: bytes, inode: int, rdev: int) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (inode, mode, 0, 0, 2 if mode & 0o040000 else 1, 0, len(data), 0, 0,
              os.major(rdev), os.minor(rdev), len(encoded), 0)
    header = b"070701" + b"".join(b"%08X" % value for value in fields)
    head = header + encoded
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def kernel_version(staging: Path) -> str:
    versions = sorted(p.name for p in (staging / "lib/modules").iterdir())
    if len(versions) != 1:
        raise SystemExit(f"expected one kernel in the staging dir, found {versions}")
    return versions[0]


def module_load_order(modules_dir: Path, wanted: tuple[str, ...]) -> list[Path]:
    """The wanted modules' files, each after the modules it depends on."""
    by_name = {p.name[:-3].replace("-", "_"): p for p in modules_dir.rglob("*.ko")}
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        path = by_name.get(name)
        if path is None:
            raise SystemExit(f"{name} is not a module of this kernel (built in, or not built)")
        found = re.search(rb"(?:^|\0)depends=([^\0]*)", path.read_bytes())
        for dependency in filter(None, (found.group(1).decode() if found else "").split(",")):
            visit(dependency.replace("-", "_"))
        order.append(path)

    for module in wanted:
        visit(module)
    return order


def shared_libraries(binary: Path, staging: Path) -> list[Path]:
    """The host paths of a dynamically linked binary's libraries, the staging
    dir's (the .debs') first; ldd asks the dynamic loader, which maps them
    without running the program."""
    lib_dirs = [staging / "usr/lib/x86_64-linux-gnu", staging / "lib/x86_64-linux-gnu"]
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(str(d) for d in lib_dirs))
    libraries = []
    for line in output("ldd", binary, env=env).splitlines():
        if "not found" in line:
            raise SystemExit(f"{binary.name}: {line.strip()}")
        found = re.search(r"(/\S+) \(0x", line)
        if found:
            libraries.append(Path(found.group(1)))
    return libraries


def build_tree(staging: Path) -> Tree:
    tree = Tree()
    for path in ("dev", "proc", "sys", "run", "mnt/config", "root", "etc/dropbear",
                 "var/log", "var/lib/onestack", "lib/modules", "usr/share"):
        tree.directory(path)
    tree.directory("tmp", 0o1777)
    tree.directory("root", 0o700)
    tree.directory("home/onestack", 0o700)
    tree.directory("home/onestack/.ssh", 0o700)
    tree.device("dev/console", 5, 1)
    tree.device("dev/null", 1, 3, 0o666)
    # one bin for everything: PATH is short and every applet is found
    for alias in ("sbin", "usr/bin", "usr/sbin"):
        tree.symlink(alias, "/bin")
    tree.symlink("var/run", "/run")  # Tempest reads /var/run/udhcpc.<nic>.pid
    busybox = staging / "bin/busybox"
    tree.file("bin/busybox", busybox.read_bytes(), 0o755)
    for applet in output(busybox, "--list").split():
        if applet != "busybox":
            tree.symlink(f"bin/{applet}", "busybox")
    tree.symlink("init", "/bin/busybox")
    dropbear = staging / "usr/sbin/dropbear"
    tree.file("bin/dropbear", dropbear.read_bytes(), 0o755)
    tree.file("bin/dropbearkey", (staging / "usr/bin/dropbearkey").read_bytes(), 0o755)
    for library in shared_libraries(dropbear, staging):
        # the loader where the binary names it, every library where it searches first
        target = (str(library).lstrip("/") if library.name.startswith("ld-linux")
                  else f"lib/x86_64-linux-gnu/{library.name}")
        tree.file(target, library.resolve().read_bytes(), 0o755)
    modules = staging / "lib/modules" / kernel_version(staging) / "kernel"
    order = module_load_order(modules, MODULES)
    for module in order:
        tree.file(f"lib/modules/{module.name}", module.read_bytes())
    tree.file("lib/modules/load-order", "".join(f"{m.name}\n" for m in order).encode())
    for source, (target, mode) in GUEST_LAYOUT.items():
        tree.file(target, (GUEST_FILES / source).read_bytes(), mode)
    tree.file("etc/hosts", b"127.0.0.1 localhost\n::1 localhost\n")
    tree.file("etc/hostname", b"onestack-guest\n")
    tree.file("etc/resolv.conf", b"")
    return tree


# --- the disk ----------------------------------------------------------------------

def fat_partition(path: Path, kernel: Path, initrd: Path, staging: Path) -> None:
    """A FAT filesystem with the kernel, initramfs and syslinux installed in it,
    written with mtools into a plain file (no mount)."""
    path.unlink(missing_ok=True)
    run(tool("mkfs.vfat"), "-C", "-n", "ONESTACK", "-h", str(PARTITION_START),
        "-i", "05ac0000", path, str(PARTITION_MIB * 1024), stdout=subprocess.DEVNULL)
    config = path.parent / "syslinux.cfg"
    config.write_text(SYSLINUX_CFG)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for source, name in ((kernel, "vmlinuz"), (initrd, "initrd.gz"), (config, "syslinux.cfg")):
        run(tool("mcopy"), "-i", path, source, f"::/{name}", env=env)
    run(staging / "usr/bin/syslinux", "--install", path, env=env)


def _partition_entry(active: bool, kind: int, start: int, sectors: int) -> bytes:
    # CHS fields set to "beyond 8 GB": every reader since the 1990s uses the LBA ones
    return struct.pack("<B3sB3sII", 0x80 if active else 0, b"\xfe\xff\xff", kind,
                       b"\xfe\xff\xff", start, sectors)


def master_boot_record(boot_code: bytes, boot_sectors: int) -> bytes:
    """syslinux's MBR code, the active FAT16 (LBA) boot partition and the empty Linux
    partition after it, to the end of the disk."""
    state_start = PARTITION_START + boot_sectors
    state_sectors = DISK_MIB * 2**20 // SECTOR - state_start
    entries = (_partition_entry(True, 0x0E, PARTITION_START, boot_sectors)
               + _partition_entry(False, 0x83, state_start, state_sectors))
    return boot_code[:440] + b"OSTK" + b"\0\0" + entries + b"\0" * 32 + b"\x55\xaa"


def write_disk(raw: Path, partition: Path, mbr_code: Path) -> None:
    sectors = partition.stat().st_size // SECTOR
    with raw.open("wb") as disk:
        disk.write(master_boot_record(mbr_code.read_bytes(), sectors))
        disk.write(b"\0" * (PARTITION_START * SECTOR - SECTOR))
        with partition.open("rb") as source:
            shutil.copyfileobj(source, disk)
        disk.truncate(DISK_MIB * 2**20)  # sparse: qemu-img stores no zeros


# --- the whole build -----------------------------------------------------------------

def inputs_digest(packages: list[Package]) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(GUEST_FILES.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in packages:
        digest.update(package.deb_name.encode())
    return digest.hexdigest()


def build(out: Path, cache: Path, force: bool = False) -> Path:
    started = time.monotonic()
    packages = resolve_packages()
    image = out / IMAGE_NAME
    stamp = out / (IMAGE_NAME + ".inputs")
    if (not force and image.exists() and stamp.exists()
            and stamp.read_text().strip() == inputs_digest(packages)):
        log(f"{image} is up to date")
        return image
    debs = cache / "debs"
    packages = fetch_packages(packages, debs)
    digest = inputs_digest(packages)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=out) as tmp:
        work = Path(tmp)
        staging = work / "staging"
        extract(packages, debs, staging)
        initrd = work / "initrd.gz"
        initrd.write_bytes(gzip.compress(build_tree(staging).cpio(), compresslevel=6, mtime=0))
        kernel = next((staging / "boot").glob("vmlinuz-*"))
        partition = work / "partition.img"
        fat_partition(partition, kernel, initrd, staging)
        raw = work / "disk.raw"
        write_disk(raw, partition, staging / "usr/lib/syslinux/mbr/mbr.bin")
        partial = work / IMAGE_NAME
        run(tool("qemu-img"), "convert", "-q", "-f", "raw", "-O", "qcow2", "-c", raw, partial)
        stamp.unlink(missing_ok=True)
        os.replace(partial, image)
    stamp.write_text(digest + "\n")
    log(f"built {image} ({image.stat().st_size / 2**20:.1f} MiB) "
        f"in {time.monotonic() - started:.1f}s")
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True,
                        help=f"directory for {IMAGE_NAME}")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="where downloaded .debs are kept (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    print(build(args.out.resolve(), args.cache.expanduser(), args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
