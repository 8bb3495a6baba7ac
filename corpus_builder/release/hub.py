"""Upload one release to the Hugging Face Hub and tag the commit ``v<version>``, so
that ``load_dataset("OWNER/NAME", revision="v<version>")`` gives exactly that
release. Only a release that verifies is uploaded."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..catalogue import error
from ..errors import CorpusError
from ..io import sha256_file
from .verify import verify


# the Hub's grammar for OWNER/NAME: ASCII letters, digits, '-', '_', '.'; no '--' or
# '..'; neither part starts or ends with '-' or '.'; a name of at most 96 characters
# and no '.git' ending (huggingface_hub.utils.validate_repo_id, plus what the Hub refuses)
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
REPO_ID_GRAMMAR = "OWNER/NAME of letters, digits, '-', '_', '.' (no '--', '..', leading or trailing '-'/'.', <= 96)"


def valid_repo_id(repo_id: str) -> bool:
    m = re.fullmatch(f"({_PART})/({_PART})", repo_id)
    return (m is not None and "--" not in repo_id and ".." not in repo_id and len(m.group(2)) <= 96
            and len(m.group(1)) <= 96 and not repo_id.endswith(".git"))


def plan(release: Path, repo_id: str) -> dict:
    """What a publish would do: the files (path, bytes, sha256) and the tag."""
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    version = manifest["version"]
    files = [{"path": p.relative_to(release).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
             for p in sorted(release.rglob("*")) if p.is_file()]
    return {"repo_id": repo_id, "repo_type": "dataset", "version": version, "tag": f"v{version}",
            "commit_message": f"Release {version}", "files": files}


def publish(release: Path, repo_id: str, dry_run: bool = False, token: str | None = None) -> dict:
    release = Path(release)
    if not valid_repo_id(repo_id):
        raise error("E801", found=repo_id, expected=REPO_ID_GRAMMAR)
    problems = verify(release)
    if problems:  # never publish a release that does not verify
        raise CorpusError(problems)
    p = plan(release, repo_id)
    if dry_run:
        return p
    from huggingface_hub import HfApi, constants, get_token
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled
    api = HfApi(token=token)
    try:
        if constants.HF_HUB_OFFLINE:
            raise OfflineModeIsEnabled("offline")
        if token is None and get_token() is None:
            raise LocalTokenNotFoundError("no token")
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        info = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=release,
                                 commit_message=p["commit_message"])
        api.create_tag(repo_id, repo_type="dataset", tag=p["tag"], revision=info.oid,
                       tag_message=f"Dataset release {p['version']}")
    except OfflineModeIsEnabled:
        raise error("E802") from None
    except LocalTokenNotFoundError:
        raise error("E803") from None
    except HfHubHTTPError as exc:
        raise error("E804", error=str(exc).splitlines()[0]) from None
    except Exception as exc:  # DNS, refused connections, timeouts: whatever the HTTP stack raises
        raise error("E805", error_type=type(exc).__name__, error=str(exc)[:120]) from None
    return {**p, "commit": info.oid}
