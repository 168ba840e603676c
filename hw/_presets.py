"""Presets shipped with the package (configs/chips, configs/networks, configs/sweeps)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_CHIP = "default-4x4"
DEFAULT_NETWORK = "default-net"


def _root() -> Path:
    return Path(str(resources.files("neurocycle.configs")))


def list_presets(kind: str) -> list[str]:
    folder = _root() / kind
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def preset_path(kind: str, name: str) -> Path | None:
    """Path of preset ``name`` (with or without .yaml) of ``kind`` ('chips', 'networks', 'sweeps')."""
    stem = name[:-5] if name.endswith(".yaml") else name
    if "/" in stem or "\\" in stem:
        return None
    path = _root() / kind / f"{stem}.yaml"
    return path if path.is_file() else None


def resolve_file(kind: str, source) -> str:
    """A YAML path, or the path of preset ``source`` of ``kind`` ('chips', 'networks', 'sweeps');
    otherwise a ConfigError that lists the presets."""
    import os

    from ._errors import ConfigError

    path = os.fspath(source)
    if os.path.exists(path):
        return path
    resolved = preset_path(kind, path)
    if resolved is None:
        import difflib

        what = kind.rstrip("s")
        names = list_presets(kind)
        near = difflib.get_close_matches(path[:-5] if path.endswith(".yaml") else path, names, n=1, cutoff=0.6)
        raise ConfigError(what, f"is neither a file nor a {what} preset", path,
                          (f"did you mean '{near[0]}'? " if near else "")
                          + f"give a YAML path or one of: {', '.join(names) or '(none)'}")
    return str(resolved)
