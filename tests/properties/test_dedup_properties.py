"""Dedup against plain Python sets and dicts (hypothesis), whatever the hashes collide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from foxreach_cli.dedup import Deduper, python_hash
from tests.unit.test_dedup import _weak_hash, same_hash, validated, worded


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), max_size=30),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([python_hash, _weak_hash, same_hash]),
    st.integers(1, 10),
)
def test_hypothesis_matches_a_plain_dict_whatever_the_hash_collides(chunks, hash_keys, per_file):
    # Chunks of (email id, spelling) spread over several files; the dict of the exact keys
    # decides which rows are duplicates of which.
    spellings = [str.lower, str.upper, str.title, lambda e: f"  {e} "]
    first_seen: dict[str, tuple[str, int]] = {}
    with Deduper(hash_keys=hash_keys) as d:
        row = 2
        for k, ids in enumerate(chunks):
            file = f"f{k // per_file}.csv"
            if k % per_file == 0:
                row = 2
            emails = [spellings[how](f"u{i}@x.com") for i, how in ids]
            unique, dups = d.split(validated(emails, file=file, first_row=row))
            expected_unique, expected_dups = [], []
            for r, e in enumerate(emails, start=row):
                key = e.strip().lower()
                if key in first_seen:
                    f, fr = first_seen[key]
                    why = f"duplicate of row {fr}" + ("" if f == file else f" in {f}")
                    expected_dups.append((r, e.strip(), why, f, fr))
                else:
                    first_seen[key] = (file, r)
                    expected_unique.append(r)
            assert unique["row"].tolist() == expected_unique
            got = worded(dups)[["row", "email", "reason", "first_file", "first_row"]]
            assert list(got.itertuples(index=False, name=None)) == expected_dups
            row += len(emails)
        assert len(d) == len(first_seen)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 60), max_size=40),  # chunks of email ids
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_hypothesis_matches_a_plain_first_seen_set_across_many_chunks(chunks, rnd):
    # Many small chunks exercise the merging of seen-hash runs.
    d = Deduper()
    first_seen: dict[str, tuple[str, int]] = {}
    row = 2
    for k, ids in enumerate(chunks):
        file = f"f{k // 10}.csv"
        if k % 10 == 0:
            row = 2
        emails = [f"u{i}@x.com".upper() if rnd.random() < 0.5 else f" u{i}@x.com" for i in ids]
        unique, dups = d.split(validated(emails, file=file, first_row=row))
        expected_unique, expected_dups = [], []
        for r, e in enumerate(emails, start=row):
            key = e.strip().lower()
            if key in first_seen:
                expected_dups.append((r, *first_seen[key]))
            else:
                first_seen[key] = (file, r)
                expected_unique.append(r)
        assert unique["row"].tolist() == expected_unique
        got = list(zip(dups["row"], dups["first_file"], dups["first_row"], strict=True))
        assert got == expected_dups
        row += len(emails)
    assert len(d) == len(first_seen)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 12), max_size=30),
    st.lists(st.integers(0, 12), min_size=30, max_size=60),
    st.sampled_from([0, 2**63, 2**64 - 13]),
)
def test_hypothesis_a_merge_places_the_new_entries_before_equal_old_ones(old, new, base):
    # Deduper._remember merges two sorted runs into one: sorted, every entry kept, each new
    # entry before the old entries of an equal hash (any faster merge must keep this).
    # A small range of hashes makes many equal ones; ``base`` puts them near 0 or 2**64.
    import numpy as np

    old_h = np.sort(np.asarray(old, dtype=np.uint64) + np.uint64(base))
    new_h = np.sort(np.asarray(new, dtype=np.uint64) + np.uint64(base))
    old_o = np.arange(len(old_h), dtype=np.int64)
    new_o = np.arange(len(old_h), len(old_h) + len(new_h), dtype=np.int64)

    new_at = np.searchsorted(old_h, new_h) + np.arange(len(new_h))
    old_at = np.ones(len(old_h) + len(new_h), dtype=bool)
    old_at[new_at] = False
    want_h = np.empty(len(old_at), dtype=np.uint64)
    want_o = np.empty(len(old_at), dtype=np.int64)
    want_h[new_at], want_h[old_at] = new_h, old_h
    want_o[new_at], want_o[old_at] = new_o, old_o
    d = Deduper()
    d._remember(old_h, old_o)
    d._remember(new_h, new_o)  # no longer than the new run: the old one is merged into it
    [(got_h, got_o)] = d._runs
    assert got_h.tolist() == want_h.tolist()
    assert got_o.tolist() == want_o.tolist()
