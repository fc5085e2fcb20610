"""Secrets: from the environment in production; generated once into var/keys in development."""

import base64
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def load_key(env_name: str, file_name: str, *, production: bool, var_dir: Path, text: bool = False):
    """Return the key named by env_name (base64 for binary keys); dev keys live in var/keys/<file_name>."""
    value = os.environ.get(env_name)
    if value is None:
        if production:
            raise ImproperlyConfigured(f"生产环境必须设置环境变量 {env_name}（{env_name} is required in production）")
        path = var_dir / "keys" / file_name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = secrets.token_urlsafe(50) if text else base64.b64encode(secrets.token_bytes(32)).decode()
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(fresh)
            try:
                os.link(tmp, path)  # atomic: the first writer wins, others read its key
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        value = path.read_text().strip()
    if text:
        return value
    raw = base64.b64decode(value)
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{env_name} 必须是 32 字节密钥的 base64 编码")
    return raw
