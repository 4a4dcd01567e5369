"""Downloads from a loopback mirror of the shared data reproduce the arrays read in place."""
from __future__ import annotations

import hashlib
import shutil
import tarfile

import numpy as np
import pytest

from tpw_tf.data import fetch, load
from tpw_tf.data.cli import main
from tpw_tf.data.fetch import data_root
from tpw_tf.errors import DataError


def assert_same_arrays(a, b):
    assert a.class_names == b.class_names and a.sample_rate == b.sample_rate
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(a.splits[name].x, b.splits[name].x)
        np.testing.assert_array_equal(a.splits[name].y, b.splits[name].y)
        np.testing.assert_array_equal(a.splits[name].groups, b.splits[name].groups)


@pytest.fixture(scope="module")
def mirror(shared, serve):
    return serve(shared)


def test_mitdb_download_verifies_and_reproduces_the_local_arrays(shared, mirror, tmp_path):
    url, requests = mirror
    options = dict(split="ds1-patients", window_s=1.0, records=["101", "106"], cache=False)
    folder = fetch.fetch("mitdb", root=tmp_path, base_url=url, records=["101", "106"],
                         progress=False)
    assert folder == tmp_path / "mitdb"
    assert sorted(p.name for p in folder.glob("10*")) == [
        f"{r}.{e}" for r in ("101", "106") for e in ("atr", "dat", "hea")]
    assert (folder / "101.dat").read_bytes() == (shared / "mitdb/101.dat").read_bytes()
    before = len(requests)
    downloaded = load("mitdb", base_url=url, **options)  # into $TPW_DATA_DIR this time
    assert (data_root() / "mitdb/106.dat").exists()
    assert_same_arrays(downloaded, load("mitdb", data_dir=shared / "mitdb", **options))
    fetch.fetch("mitdb", root=tmp_path, base_url=url, records=["101"], progress=False)
    assert len(requests) == before + 8  # the load's 2 index + 6 record files; refetch: none


@pytest.fixture
def small_mirror(shared, tmp_path):
    """A mirror holding mitdb 101 only (RECORDS and SHA256SUMS.txt cut to match)."""
    site = tmp_path / "site"
    (site / "mitdb").mkdir(parents=True)
    for ext in ("hea", "dat", "atr"):
        shutil.copy(shared / f"mitdb/101.{ext}", site / "mitdb")
    (site / "mitdb/RECORDS").write_text("101\n")
    sums = (shared / "mitdb/SHA256SUMS.txt").read_text().splitlines()
    (site / "mitdb/SHA256SUMS.txt").write_text("\n".join(s for s in sums if " 101." in s) + "\n")
    return site


def test_interrupted_download_resumes_with_a_range_request(shared, serve, small_mirror,
                                                           tmp_path):
    url, requests = serve(small_mirror)
    root = tmp_path / "cache"
    (root / "mitdb").mkdir(parents=True)
    whole = (shared / "mitdb/101.dat").read_bytes()
    (root / "mitdb/101.dat.part").write_bytes(whole[:700_000])
    fetch.fetch("mitdb", root=root, base_url=url, progress=False)
    assert ("/mitdb/101.dat", "bytes=700000-") in requests
    assert (root / "mitdb/101.dat").read_bytes() == whole
    assert not list(root.rglob("*.part"))


def test_checksum_mismatch_fails_and_leaves_no_file(serve, small_mirror, tmp_path):
    atr = small_mirror / "mitdb/101.atr"
    data = bytearray(atr.read_bytes())
    data[1000] ^= 0xFF
    atr.write_bytes(bytes(data))
    url, _ = serve(small_mirror)
    with pytest.raises(DataError, match=r"/mitdb/101\.atr: SHA-256 .* does not match"):
        fetch.fetch("mitdb", root=tmp_path, base_url=url, progress=False)
    assert not (tmp_path / "mitdb/101.atr").exists()
    assert not list(tmp_path.rglob("*.part"))
    assert not (tmp_path / "mitdb" / fetch.COMPLETE_MARKER).exists()


def test_files_absent_from_the_server_are_named(mirror, tmp_path):
    url, _ = mirror  # the shared apnea-ecg folder has no .dat files
    with pytest.warns(UserWarning, match=r"2 file\(s\) not on the server: a01\.dat, b01\.dat"):
        fetch.fetch("apnea", root=tmp_path, base_url=url, records=["a01", "b01"],
                    progress=False)
    assert (tmp_path / "apnea-ecg/a01.apn").exists()


def test_apnea_download_reproduces_the_local_arrays(shared, serve, tmp_path):
    site = tmp_path / "site/apnea-ecg"
    site.mkdir(parents=True)
    for ext in ("hea", "dat", "apn"):
        shutil.copy(shared / f"apnea-ecg-first-minute/a03.{ext}", site)
    (site / "RECORDS").write_text("a03\n")
    url, _ = serve(site.parent)
    with pytest.warns(UserWarning):  # the first-minute records are clipped
        local = load("apnea", data_dir=site, cache=False)
    with pytest.warns(UserWarning):
        downloaded = load("apnea", base_url=url, cache=False)
    assert len(local.splits["train"]) == 3
    assert_same_arrays(downloaded, local)


def test_ptbxl_download_reproduces_the_local_arrays(shared, mirror, tmp_path):
    url, _ = mirror
    options = dict(folds="1-3/4-8/9", records=[1, 2, 8, 22], cache=False)
    folder = fetch.fetch("ptbxl", root=tmp_path, base_url=url, records=[1, 2, 8, 22],
                         progress=False)
    assert len(list(folder.glob("records100/00000/*.dat"))) == 4
    assert_same_arrays(load("ptbxl", data_dir=folder, **options),
                       load("ptbxl", data_dir=shared / "ptbxl", **options))


@pytest.fixture
def speech_archive(shared, tmp_path):
    """A test-set-package archive of two clips per class, and its unpacked twin."""
    package = tmp_path / "package"
    for folder in sorted((shared / "speech_commands").iterdir()):
        if folder.is_dir() and folder.name != "_background_noise_":
            (package / folder.name).mkdir(parents=True)
            for clip in sorted(folder.glob("*.wav"))[:2]:
                shutil.copy(clip, package / folder.name)
    site = tmp_path / "site"
    site.mkdir()
    archive = site / "speech_commands_test_set_v0.02.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(package, arcname=".")
    return package, site, hashlib.sha256(archive.read_bytes()).hexdigest()


def test_speech_archive_download_reproduces_the_local_arrays(serve, speech_archive, tmp_path):
    package, site, digest = speech_archive
    url, _ = serve(site)
    folder = fetch.fetch("speech", root=tmp_path, base_url=url, archive="test", sha256=digest,
                         progress=False)
    assert folder == tmp_path / "speech_commands_test_set_v0.02"
    assert_same_arrays(load("speech", data_dir=folder, cache=False),
                       load("speech", data_dir=package, cache=False))


def test_speech_archive_with_a_wrong_digest_is_refused(serve, speech_archive, tmp_path):
    _, site, _ = speech_archive
    url, _ = serve(site)
    root = tmp_path / "cache"
    with pytest.raises(DataError, match=r"speech_commands_test_set_v0\.02\.tar\.gz: SHA-256 "
                                        r".* does not match the published cc2a00c1147c2254"):
        fetch.fetch("speech", root=root, base_url=url, archive="test", progress=False)
    assert list(root.iterdir()) == []


def test_data_dir_never_downloads(monkeypatch, tmp_path):
    monkeypatch.setenv("TPW_DATA_URL", "http://127.0.0.1:9/unreachable")
    with pytest.raises(DataError, match=r"data dir .*nowhere: not a folder"):
        load("mitdb", data_dir=tmp_path / "nowhere")
    assert list(tmp_path.iterdir()) == []


def test_unknown_names_are_refused():
    with pytest.raises(DataError, match="unknown dataset 'ecg5000': choose one of apnea, mitdb"):
        load("ecg5000")
    with pytest.raises(DataError, match="unknown dataset 'synthetic' to fetch"):
        fetch.fetch("synthetic")
    with pytest.raises(DataError, match="speech: unknown archive 'small'"):
        fetch.fetch("speech", archive="small")


def test_unreachable_server_is_a_one_line_error(tmp_path):
    with pytest.raises(DataError, match=r"http://127\.0\.0\.1:9/mitdb/.*download failed"):
        fetch.fetch("mitdb", root=tmp_path, base_url="http://127.0.0.1:9", progress=False)


def test_unwritable_root_is_a_one_line_error(tmp_path, capsys):
    root = tmp_path / "a-file"
    root.write_text("not a folder")
    assert main(["fetch", "mitdb", "--root", str(root), "--base-url", "http://127.0.0.1:9"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"error: cannot write {root / 'mitdb'}: Not a directory")
