"""Agreement with KICS's own fixtures must not drop below docs/comparison.md's floors."""

from __future__ import annotations

import runpy

import pytest

from tests.conftest import REPO

PAGE = REPO / "docs" / "comparison.md"


@pytest.fixture(scope="module")
def scorer(shared_dir):
    module = runpy.run_path(str(REPO / "benchmarks" / "peer_corpus.py"), run_name="scorer")
    return module, module["score"](shared_dir / "corpus")


def test_agreement_stays_above_the_documented_floors(scorer):
    module, scores = scorer
    floor_pos, floor_neg, max_unexplained = module["thresholds"](PAGE)
    totals = module["totals"](scores)
    assert totals["positive_agreement"] >= floor_pos
    assert totals["negative_agreement"] >= floor_neg
    assert len(module["unexplained"](scores)) <= max_unexplained, module["unexplained"](scores)


def test_comparison_page_shows_the_current_numbers(scorer):
    module, scores = scorer
    assert module["generated_section"](PAGE) == module["markdown"](scores), \
        "run: python3 benchmarks/peer_corpus.py ../shared/corpus --update docs/comparison.md"
