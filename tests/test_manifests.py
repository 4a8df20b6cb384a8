"""Stage manifests: a journal per commit, one compact write per stage, and readers that see both."""

from __future__ import annotations

import json
from pathlib import Path

from sparkle_cli.manifests import JOURNAL, StageManifest, load, mend_tail, read_lines


def record(n: int) -> dict:
    return {"item_id": f"i{n}", "status": "succeeded", "fingerprint": f"fp{n}", "outputs": {}}


def test_commits_append_to_the_journal_and_the_stage_end_writes_once(tmp_path: Path) -> None:
    path = tmp_path / "stage" / "manifest.json"
    sm = StageManifest(path, "stage")
    sm.set(status="running")
    for n in range(3):
        sm.put(f"i{n}", record(n))
        # Mid-stage, the manifest file is untouched; readers replay the journal.
        assert not path.exists()
        assert sorted(load(path)["items"]) == [f"i{k}" for k in range(n + 1)]
    journal = path.with_name(JOURNAL)
    assert len(read_lines(journal)) == 5  # a header, the status, three items
    sm.set(status="succeeded")
    sm.save()
    assert not journal.exists()
    on_disk = json.loads(path.read_text())
    assert on_disk["status"] == "succeeded" and sorted(on_disk["items"]) == ["i0", "i1", "i2"]
    assert "\n " not in path.read_text()  # compact, not indented


def test_a_kill_between_the_final_write_and_the_journal_removal_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    sm = StageManifest(path, "stage")
    sm.set(status="running")
    sm.put("i0", record(0))
    journal = path.with_name(JOURNAL)
    kept = journal.read_bytes()
    sm.set(status="succeeded")
    sm.save()
    journal.write_bytes(kept)  # as if the process died before it removed the journal
    assert load(path)["status"] == "succeeded"  # the stale journal's "running" is not replayed
    again = StageManifest(path, "stage")
    assert again.data["status"] == "succeeded" and "i0" in again.items


def test_a_torn_last_line_is_skipped_and_mended(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    sm = StageManifest(path, "stage")
    sm.put("i0", record(0))
    journal = path.with_name(JOURNAL)
    with open(journal, "ab") as fh:
        fh.write(b'{"item": "i1", "rec')  # a kill in the middle of an append
    assert sorted(load(path)["items"]) == ["i0"]
    with open(journal, "ab") as fh:
        fh.write(b"\xff\xfe not utf-8\n")
    assert sorted(load(path)["items"]) == ["i0"]
    mend_tail(journal)
    assert journal.read_bytes().endswith(b"\n")
    # A new run absorbs the journal and starts a clean one.
    again = StageManifest(path, "stage")
    again.put("i2", record(2))
    assert sorted(load(path)["items"]) == ["i0", "i2"]


def test_mend_tail_cuts_back_to_the_last_whole_line(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": ')
    mend_tail(log)
    assert log.read_bytes() == b'{"a": 1}\n{"b": 2}\n'
    log.write_bytes(b'{"only": "torn')
    mend_tail(log)
    assert log.read_bytes() == b""
