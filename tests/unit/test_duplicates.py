"""Near-duplicate detection on a generated corpus, through the banded index's candidate rule.

The index is simulated in memory with the same keys the table uses (`band_keys`), so what is
measured here is exactly what the DynamoDB lookup finds: a pair is only compared when it shares
a 16-bit band, then matched when its Hamming distance is within the threshold.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from chalicelib.domain import filecheck as fc
from chalicelib.domain.evidence import Candidate, Thresholds, best_matches
from tests import corpus as C

SCENES = 14


def band_keys(tenant: str, phash: str) -> list[str]:
    """The table's band keys (dal/evidence.py), imported when first used: that module loads the
    DynamoDB models, which read their endpoint once, and a run of several suites starts its
    local AWS only after collecting this one (tests/local_aws.py)."""
    from chalicelib.dal.evidence import band_keys as keys

    return keys(tenant, phash)


#: the corpus (42 generated 1024×768 scenes, ~100 photos) takes seconds to build: make test runs
#: these tests, make unit (the fast loop) leaves them out
corpus_built = pytest.mark.slow


class MemoryIndex:
    def __init__(self) -> None:
        self.buckets: dict[str, list[Candidate]] = defaultdict(list)
        self.items_read = 0

    def add(self, attachment_id: str, hashes: list[str]) -> None:
        for h in hashes:
            for key in band_keys("T", h):
                self.buckets[key].append(Candidate(attachment_id, "c", h))

    def lookup(self, attachment_id: str, hashes: list[str], threshold: int) -> set[str]:
        found = []
        for key in {k for h in hashes for k in band_keys("T", h)}:
            self.items_read += len(self.buckets[key])
            found.extend(self.buckets[key])
        return {m.attachment_id for m in best_matches(attachment_id, hashes, found, threshold)}


def _hashes(data: bytes) -> list[str]:
    found = fc.inspect(data, "image/png" if data[:4] == b"\x89PNG" else "image/jpeg")
    return [h for h in (found.phash, found.phash_crop) if h]


@pytest.fixture(scope="module")
def corpus():
    """Originals, the copies a fraudster makes of each, and similar scenes (same shop, same
    shelves and palette, products rearranged and camera moved) that must not match."""
    originals, copies, similar = {}, [], []
    for seed in range(SCENES):
        img = C.scene(100 + seed)
        originals[f"o{seed}"] = _hashes(C.jpeg(img))
        for name, data in (
            ("reencoded", C.reencoded(img, 55)),
            ("resized", C.resized(img, 0.45)),
            ("cropped", C.cropped(img, 0.05)),
            ("png", C.as_png(img)),
        ):
            copies.append((f"{name}{seed}", f"o{seed}", _hashes(data)))
        for shift in (1, 2):
            similar.append((f"s{seed}.{shift}", _hashes(C.jpeg(C.scene(100 + seed, shift=shift)))))
    return originals, copies, similar


@corpus_built
def test_copies_match_and_similar_scenes_do_not(corpus):
    originals, copies, similar = corpus
    threshold = Thresholds().duplicate_distance
    index = MemoryIndex()
    for attachment_id, hashes in originals.items():
        index.add(attachment_id, hashes)
    true_pos = false_neg = false_pos = 0
    for copy_id, original, hashes in copies:
        found = index.lookup(copy_id, hashes, threshold)
        true_pos += original in found
        false_neg += original not in found
        false_pos += len(found - {original})
    for similar_id, hashes in similar:
        false_pos += len(index.lookup(similar_id, hashes, threshold))
    recall = true_pos / (true_pos + false_neg)
    precision = true_pos / max(true_pos + false_pos, 1)
    print(
        f"duplicates: recall {recall:.3f} precision {precision:.3f} over {len(copies)} copies, "
        f"{len(similar)} similar scenes"
    )
    assert recall >= 0.95, recall
    assert precision == 1.0, precision


@corpus_built
def test_the_earlier_photo_is_found_whichever_copy_came_first(corpus):
    """Index the copy and look up the original: the crop variant works in both directions."""
    originals, copies, _ = corpus
    threshold = Thresholds().duplicate_distance
    index = MemoryIndex()
    for copy_id, _, hashes in copies:
        index.add(copy_id, hashes)
    hits = sum(f"cropped{seed}" in index.lookup(f"o{seed}", originals[f"o{seed}"], threshold) for seed in range(SCENES))
    assert hits / SCENES >= 0.9


@corpus_built
def test_lookup_reads_only_the_buckets_of_its_bands(corpus):
    originals, copies, similar = corpus
    index = MemoryIndex()
    for attachment_id, hashes in originals.items():
        index.add(attachment_id, hashes)
    before = index.items_read
    index.lookup("x", similar[0][1], 10)
    # 2 hashes × 3 bands; each bucket holds only the hashes sharing that exact 21/22-bit value
    assert index.items_read - before <= 6


def test_band_keys_split_the_hash_in_bands_of_21_21_and_22_bits():
    value = int("0123456789abcdef", 16)
    assert band_keys("CN", "0123456789abcdef") == [
        f"CN|0|{value >> 43:06x}",
        f"CN|1|{(value >> 22) & (2**21 - 1):06x}",
        f"CN|2|{value & (2**22 - 1):06x}",
    ]
    assert band_keys("CN", "ffffffffffffffff") == ["CN|0|1fffff", "CN|1|1fffff", "CN|2|3fffff"]
