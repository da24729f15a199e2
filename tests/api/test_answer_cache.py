"""The default answer store: Django's file cache, counting its files now and then and
compressing fast; what it stores reads back the same."""

from __future__ import annotations

import pickle
import zlib

import pytest

from api import answer_cache
from api.answer_cache import AnswerFileCache


@pytest.fixture
def store(tmp_path) -> AnswerFileCache:
    return AnswerFileCache(str(tmp_path), {"TIMEOUT": 60, "OPTIONS": {"MAX_ENTRIES": 30}})


def _files(store: AnswerFileCache) -> int:
    return len(store._list_cache_files())


def test_an_answer_reads_back_as_it_was_stored(store):
    body = b'{"type":"FeatureCollection","features":[' + b'{"id":1},' * 5000 + b"]}"
    store.set("answer:1", ("application/geo+json", body))
    assert store.get("answer:1") == ("application/geo+json", body)


def test_entries_are_compressed_at_the_fast_level(store, tmp_path):
    value = ("application/geo+json", b"0123456789abcdef" * 20_000)
    store.set("answer:1", value)
    (path,) = tmp_path.glob("*.djcache")
    raw = path.read_bytes()
    fast = zlib.compress(pickle.dumps(value, store.pickle_protocol), 1)
    assert raw.endswith(fast)


def test_the_directory_is_listed_once_every_few_writes_not_on_each(store, monkeypatch):
    listed = []
    real = store._list_cache_files
    monkeypatch.setattr(store, "_list_cache_files", lambda: listed.append(1) or real())
    for n in range(answer_cache.CULL_CHECK_EVERY * 3):
        store.set(f"answer:{n}", ("text/plain", b"x"))
    assert len(listed) == 3


def test_past_max_entries_the_check_culls_a_third(store):
    before_check = answer_cache.CULL_CHECK_EVERY - 1
    for n in range(before_check):
        store.set(f"answer:{n}", ("text/plain", b"x"))
    assert _files(store) == before_check  # above MAX_ENTRIES (30): not checked yet
    store.set("answer:last", ("text/plain", b"x"))  # the check culls a third, then writes
    assert _files(store) == before_check - before_check // 3 + 1
