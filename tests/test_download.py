"""The download path: cache -> mirror -> download, sha256 checks, archives, errors that name things."""
import gzip
import hashlib
import re
import zipfile

import pytest

from common.download import (ChecksumError, DatasetUnavailable, UnsafeArchive, fetch_dataset, safe_extract_all,
                             sha256_of)
from common.registry import UnknownDataset, cache_root, load_registry, parse_registry

CONTENT = b"unit,cycle\n1,1\n1,2\n"
SHA = hashlib.sha256(CONTENT).hexdigest()


def registry(**sources):
    src = sources.get("sources", [{"url": "https://example.invalid/tiny/a.csv"}])
    return parse_registry({"tiny": {"domain": "demo", "title": "tiny", "files": [
        {"path": "sub/a.csv", "sha256": SHA, "bytes": len(CONTENT), "sources": src}]}})


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    root = tmp_path / "mirror"
    (root / "tiny" / "sub").mkdir(parents=True)
    monkeypatch.setenv("LSTM_SUITE_MIRROR", str(root))
    return root


def test_mirror_file_is_verified_and_cached(mirror):
    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    folder, reports = fetch_dataset("tiny", registry())
    assert (folder / "sub" / "a.csv").read_bytes() == CONTENT
    assert [r.origin for r in reports] == ["mirror"]
    assert folder == cache_root() / "tiny"
    # second time it comes from the cache, even with the mirror gone
    (mirror / "tiny" / "sub" / "a.csv").unlink()
    assert [r.origin for r in fetch_dataset("tiny", registry(), verify_cache=True)[1]] == ["cache"]


def test_corrupted_mirror_file_is_refused_with_both_hashes(mirror):
    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT + b"junk")
    with pytest.raises(ChecksumError) as err:
        fetch_dataset("tiny", registry())
    msg = str(err.value)
    assert "sub/a.csv" in msg and SHA in msg and hashlib.sha256(CONTENT + b"junk").hexdigest() in msg
    assert not (cache_root() / "tiny" / "sub" / "a.csv").exists()
    assert not list((cache_root() / "tiny" / "sub").glob("*.part")), "no temporary file left behind"


def test_corrupted_cache_file_is_replaced(mirror):
    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    target = cache_root() / "tiny" / "sub" / "a.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x" * len(CONTENT))  # same size, wrong bytes
    _, reports = fetch_dataset("tiny", registry(), verify_cache=True)
    assert reports[0].origin == "mirror" and target.read_bytes() == CONTENT


def test_missing_file_offline_names_dataset_url_and_variables(mirror):
    with pytest.raises(DatasetUnavailable) as err:
        fetch_dataset("tiny", registry())
    msg = str(err.value)
    for part in ("tiny", "sub/a.csv", "https://example.invalid/tiny/a.csv", "LSTM_SUITE_DATA", "LSTM_SUITE_MIRROR"):
        assert part in msg


def test_a_mirror_folder_that_does_not_exist_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_SUITE_MIRROR", str(tmp_path / "mirrror"))  # a typo in the path
    monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path / "cache"))
    with pytest.raises(DatasetUnavailable, match=r"LSTM_SUITE_MIRROR=\S*mirrror, a folder that does not exist"):
        fetch_dataset("tiny", registry())


def test_a_mirror_pointed_at_the_dataset_folder_itself_names_the_folder_above(tmp_path, monkeypatch, mirror):
    """Before: LSTM_SUITE_MIRROR=<mirror>/tiny (the dataset's own folder, which holds the file) said only 'not in
    a mirror' and tried the network."""
    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    monkeypatch.setenv("LSTM_SUITE_MIRROR", str(mirror / "tiny"))
    monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path / "cache"))
    with pytest.raises(DatasetUnavailable, match=r"LSTM_SUITE_MIRROR=\S*tiny, which holds sub/a.csv itself: point it "
                                                 r"at the folder above, \S*mirror, laid out <dataset id>/<file>"):
        fetch_dataset("tiny", registry())


def test_a_cache_or_mirror_path_that_is_a_file_is_named_as_such(tmp_path, monkeypatch, mirror):
    """Before: LSTM_SUITE_DATA naming a file ended in a NotADirectoryError traceback, and a mirror path naming a
    file was called 'a folder that does not exist'."""
    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("LSTM_SUITE_DATA", str(afile))
    with pytest.raises(DatasetUnavailable, match=r"cannot write the cache: LSTM_SUITE_DATA=\S*afile is a file, "
                                                 r"not a folder"):
        fetch_dataset("tiny", registry())
    monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("LSTM_SUITE_MIRROR", str(afile))
    with pytest.raises(DatasetUnavailable, match=r"LSTM_SUITE_MIRROR=\S*afile, a file, not a folder\)"):
        fetch_dataset("tiny", registry())


def test_unknown_dataset_lists_known_ids():
    with pytest.raises(UnknownDataset, match="unknown dataset id 'nope'.*cmapss"):
        fetch_dataset("nope")


def test_download_plain_gzip_and_zip_member(tmp_path, monkeypatch):
    monkeypatch.delenv("LSTM_SUITE_MIRROR", raising=False)
    plain = tmp_path / "a.csv"
    plain.write_bytes(CONTENT)
    gz = tmp_path / "a.csv.gz"
    gz.write_bytes(gzip.compress(CONTENT))
    zp = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.writestr("folder/a.csv", CONTENT)
        zf.writestr("folder/other.csv", b"other")
    for source in ({"url": plain.as_uri()}, {"url": gz.as_uri(), "archive": "gzip"},
                   {"url": zp.as_uri(), "archive": "zip", "member": "folder/a.csv"}):
        monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path / f"cache-{source.get('archive', 'plain')}"))
        folder, reports = fetch_dataset("tiny", registry(sources=[source]))
        assert (folder / "sub" / "a.csv").read_bytes() == CONTENT and reports[0].origin == source["url"]


def test_download_falls_back_to_next_source_and_rejects_bad_bytes(tmp_path, monkeypatch):
    monkeypatch.delenv("LSTM_SUITE_MIRROR", raising=False)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"tampered")
    good = tmp_path / "good.csv"
    good.write_bytes(CONTENT)
    missing = (tmp_path / "missing.csv").as_uri()
    _, reports = fetch_dataset("tiny", registry(sources=[{"url": missing}, {"url": good.as_uri()}]))
    assert reports[0].origin == good.as_uri()
    monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path / "cache2"))
    with pytest.raises(ChecksumError, match="downloaded from"):
        fetch_dataset("tiny", registry(sources=[{"url": bad.as_uri()}]))


def test_archive_members_escaping_the_target_are_refused(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        zf.writestr("../escaped.txt", b"bad")
    with pytest.raises(UnsafeArchive, match="escaped.txt"):
        safe_extract_all(evil, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "out" / "ok.txt").exists()
    with pytest.raises(UnsafeArchive):
        fetch_dataset("tiny", registry(sources=[{"url": evil.as_uri(), "archive": "zip", "member": "../escaped.txt"}]))


def test_registry_paths_cannot_escape():
    with pytest.raises(ValueError, match="inside the dataset folder"):
        parse_registry({"x": {"domain": "d", "title": "t", "files": [{"path": "../x", "sha256": SHA}]}})


def test_shipped_registry_is_well_formed():
    reg = load_registry()
    assert len(reg) == 13
    for ds in reg.values():
        assert ds.domain in {"genomics", "environmental", "engineering", "social"} and ds.citation
        for f in ds.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.bytes and f.sources
            assert all(s.url.startswith("https://") for s in f.sources)


@pytest.mark.realdata
def test_every_mirror_file_is_registered_and_verifies():
    """Every file of the mirror (CI: ../shared/data) is in the registry, and fetch verifies it by sha256."""
    from common.registry import mirror_root

    root = mirror_root()
    if root is None or not root.is_dir():
        pytest.skip("LSTM_SUITE_MIRROR is not set; CI points it at ../shared/data")
    reg = load_registry()
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name not in ("SOURCE.md", "README.md")}
    registered = {f"{ds.id}/{f.path}" for ds in reg.values() for f in ds.files}
    assert on_disk == registered
    for ds_id in reg:
        folder, reports = fetch_dataset(ds_id, verify_cache=True)
        assert all(r.origin == "mirror" for r in reports)
        for f in reg[ds_id].files:
            assert sha256_of(folder / f.path) == f.sha256


def test_fetches_inside_a_recording_block_are_listed_once_with_their_sha256(mirror):
    from common.download import record_fetches

    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    fetch_dataset("tiny", registry())  # outside: not recorded
    with record_fetches() as used:
        fetch_dataset("tiny", registry())
        fetch_dataset("tiny", registry())
    assert used == [{"dataset": "tiny", "file": "sub/a.csv", "sha256": SHA, "origin": "cache"}]
    fetch_dataset("tiny", registry())
    assert len(used) == 1


def test_named_experiments_record_the_data_they_read(mirror, tmp_path):
    """Before: `train engineering --experiment skab` (and the mechanisms experiments) wrote no data_files.json, so
    the folder of a named experiment did not say which data files, or which of the user's folders, it read."""
    import json

    from common.claims import Claim, run_named

    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    own = tmp_path / "own"
    own.mkdir()

    def reads_tiny(profile, out, seed):
        fetch_dataset("tiny", registry())
        return Claim("reads", "prediction", {}, True, "read one file")

    def generated(profile, out, seed):
        return Claim("generated", "prediction", {}, True, "generated data only")

    folder, _ = run_named({"reads": reads_tiny, "generated": generated}, ["all"], "quick", tmp_path / "runs",
                          domain="demo", title="t", log=lambda m: None, user_data={"data_dir": str(own)})
    recorded = json.loads((folder / "data_files.json").read_text())
    assert recorded == [{"dataset": "tiny", "file": "sub/a.csv", "sha256": SHA, "origin": "mirror"},
                        {"option": "data.data_dir", "folder": str(own.resolve())}]
    folder, _ = run_named({"generated": generated}, ["all"], "quick", tmp_path / "runs", domain="demo", title="t",
                          log=lambda m: None, run_name="gen")
    assert json.loads((folder / "data_files.json").read_text()) == []


def test_every_read_of_a_cached_file_checks_its_sha256_once_per_version(mirror, monkeypatch, capsys):
    """Before: `train` checked a cached file by its size only, so a same-size change (an edit, a bad copy) was
    trained on; only `fetch` and `reproduce` hashed it. Hashing the whole 69 MB cache takes 0.13 s, so every read
    now checks it, once per file version (size and modification time) in a process."""
    import os

    import common.download as download

    (mirror / "tiny" / "sub" / "a.csv").write_bytes(CONTENT)
    fetch_dataset("tiny", registry())
    hashed = []
    real = download.sha256_of
    monkeypatch.setattr(download, "sha256_of", lambda p: hashed.append(p) or real(p))
    assert [r.origin for r in fetch_dataset("tiny", registry())[1]] == ["cache"]
    fetch_dataset("tiny", registry())
    assert len(hashed) <= 1  # the same version is hashed at most once
    target = cache_root() / "tiny" / "sub" / "a.csv"
    target.write_bytes(b"x" * len(CONTENT))  # same size, wrong bytes
    os.utime(target, ns=(1, 1))
    assert [r.origin for r in fetch_dataset("tiny", registry())[1]] == ["mirror"] and target.read_bytes() == CONTENT
    assert "dataset tiny: cached sub/a.csv does not match its registered sha256; fetching it again" in \
        capsys.readouterr().err  # said even when the caller passes no log
    (mirror / "tiny" / "sub" / "a.csv").unlink()
    target.write_bytes(b"y" * len(CONTENT))
    os.utime(target, ns=(2, 2))
    with pytest.raises(DatasetUnavailable, match=r"The cached copy .*sub/a.csv did not match its sha256 and was "
                                                 r"removed"):
        fetch_dataset("tiny", registry())


def test_named_experiments_started_in_the_same_second_keep_their_own_folders(tmp_path, monkeypatch):
    """Before: the folder was <domain>-experiments-<second>, so a second unnamed call in the same second wrote its
    report over the first's."""
    import time

    from common.claims import Claim, run_named

    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20260101-000000")

    def claim(summary):
        return lambda profile, out, seed: Claim("c", "prediction", {}, True, summary)

    one, _ = run_named({"c": claim("first")}, ["all"], "quick", tmp_path, domain="demo", title="t", log=lambda m: None)
    two, _ = run_named({"c": claim("second")}, ["all"], "quick", tmp_path, domain="demo", title="t", log=lambda m: None)
    assert (one.name, two.name) == ("demo-experiments-20260101-000000", "demo-experiments-20260101-000000-2")
    assert "first" in (one / "report.md").read_text() and "second" in (two / "report.md").read_text()
