"""Upload one release to the Hugging Face Hub and tag the commit ``v<version>``, so
that ``load_dataset("OWNER/NAME", revision="v<version>")`` gives exactly that
release. Only a release that verifies is uploaded."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CorpusError, ExitCode, Problem
from ..io import sha256_file
from .verify import verify


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
    if "/" not in repo_id or repo_id.count("/") != 1:
        raise CorpusError(Problem("E801", "repo id must look like OWNER/NAME", found=repo_id,
                                  hint="pass --repo-id your-user/un-gaza-news-ner"), ExitCode.USAGE)
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
        raise CorpusError(Problem("E802", "the Hugging Face Hub is switched off (HF_HUB_OFFLINE=1)",
                                  hint="unset HF_HUB_OFFLINE on a machine with network access, or use --dry-run"),
                          ExitCode.USAGE) from None
    except LocalTokenNotFoundError:
        raise CorpusError(Problem("E803", "no Hugging Face token", hint="run `hf auth login` or set HF_TOKEN"),
                          ExitCode.USAGE) from None
    except HfHubHTTPError as exc:
        raise CorpusError(Problem("E804", f"the Hub refused the upload: {str(exc).splitlines()[0]}",
                                  hint="check the token's write access to the repo, and that the tag does not exist"),
                          ExitCode.USAGE) from None
    except Exception as exc:  # DNS, refused connections, timeouts: whatever the HTTP stack raises

        raise CorpusError(Problem("E805", f"cannot reach the Hub: {type(exc).__name__}: {str(exc)[:120]}",
                                  hint="check the network, or use --dry-run"), ExitCode.USAGE) from None
    return {**p, "commit": info.oid}
