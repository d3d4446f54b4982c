"""Fast paths on text as written must agree with the exact, normalized forms: the pre-parse
filter on item cells (text_superset) never drops a line the case-insensitive test (text_compare
on the trimmed, lower-cased cell) keeps; is_blank is exactly "normalizes to null"."""

from __future__ import annotations

from typing import Literal

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from segcli.backends.polars.compare import multi_text_compare, text_compare, text_superset
from segcli.backends.polars.groups import plain_cell
from segcli.inputs.cells import is_blank, text
from segcli.inputs.identity import IdentityResolver
from segcli.inputs.settings import Settings
from segcli.inputs.tables import ID_CELL
from segcli.spec.model import Comparison
from segcli.spec.model import Test as ValueTest

# Letters whose case folding is not plain ASCII (Kelvin sign, long s, dotted capital I), regex
# specials and whitespace.
ALPHABET = "aAkKK\u212asSſiIİ -&.+*()[]\t\u00a0é"
NEEDLES = ["k", "s", "a-k", "sku-1", "brandon & co", "a.b", "(x)", "i", "é"]


def holds(cells: list[str | None], comparison: Comparison) -> tuple[list[bool], list[bool]]:
    frame = pl.DataFrame({"raw": cells}, schema={"raw": pl.String})
    result = frame.select(
        exact=text_compare(text(pl.col("raw")), comparison),
        narrow=text_superset(pl.col("raw"), comparison),
    )
    return result["exact"].to_list(), result["narrow"].fill_null(value=False).to_list()


def test_equal_and_any_of_keep_every_spelling() -> None:
    cells = [
        " SKU-1 ",
        "sku-1",
        "Sku-1x",
        "\u212a",
        "k",
        " Brandon & Co",
        "brandon  & co",
        None,
        "",
    ]
    for comparison in (
        Comparison((ValueTest("eq", ("sku-1",)),)),
        Comparison((ValueTest("in", ("k", "brandon & co")),)),
    ):
        exact, narrow = holds(cells, comparison)
        assert all(n for e, n in zip(exact, narrow, strict=True) if e)
    exact, narrow = holds(cells, Comparison((ValueTest("eq", ("sku-1",)),)))
    assert exact == [True, True, False, False, False, False, False, False, False]
    assert narrow[2] is False  # the anchors: "Sku-1x" is not "sku-1"


def test_no_filter_for_tests_it_cannot_narrow_exactly() -> None:
    assert text_superset(pl.col("raw"), Comparison((ValueTest("contains", ("i",)),))) is None
    assert text_superset(pl.col("raw"), Comparison((ValueTest("not_in", ("a",)),))) is None
    assert text_superset(pl.col("raw"), Comparison((ValueTest("eq", ("é",)),))) is None


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    cells=st.lists(st.text(alphabet=ALPHABET, max_size=6) | st.none(), min_size=1, max_size=20),
    needles=st.lists(st.sampled_from(NEEDLES), min_size=1, max_size=3),
)
def test_superset_on_random_cells(cells: list[str | None], needles: list[str]) -> None:
    comparison = Comparison((ValueTest("in", tuple(needles)),))
    if text_superset(pl.col("raw"), comparison) is None:
        return
    exact, narrow = holds(cells, comparison)
    assert all(n for e, n in zip(exact, narrow, strict=True) if e), (cells, needles)


BLANKISH = " \t\u00a0\u2003'NAna-x\n"


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    cells=st.lists(st.text(alphabet=BLANKISH, max_size=5) | st.none(), min_size=1, max_size=20),
    nulls=st.sampled_from([(), ("NA",), ("NA", "-"), (" NA",)]),
)
def test_is_blank_is_exactly_normalizes_to_null(
    cells: list[str | None], nulls: tuple[str, ...]
) -> None:
    keys = IdentityResolver(Settings(null_values=nulls))
    frame = pl.DataFrame({"raw": cells}, schema={"raw": pl.String})
    for kind in ("id", "email"):
        result = frame.select(
            fast=keys.blank(pl.col("raw")), exact=keys.text(pl.col("raw"), kind).is_null()
        )
        assert result["fast"].to_list() == result["exact"].to_list(), (cells, nulls, kind)
    plain = frame.select(fast=is_blank(pl.col("raw")), exact=text(pl.col("raw")).is_null())
    assert plain["fast"].to_list() == plain["exact"].to_list()


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    cells=st.lists(st.text(alphabet=BLANKISH, max_size=5) | st.none(), min_size=1, max_size=20),
    nulls=st.sampled_from([(), ("NA",), ("NA", "-"), (" NA",)]),
)
def test_a_plain_id_cell_is_exactly_one_that_normalizes_to_itself(
    cells: list[str | None], nulls: tuple[str, ...]
) -> None:
    """The customers gate keeps an order by its id cell as written only where that cell is
    its key (groups.plain_cell); every other order goes to the grouping, which normalizes."""
    rows = pl.LazyFrame({ID_CELL: cells}, schema={ID_CELL: pl.String})
    keys = IdentityResolver(Settings(null_values=nulls))
    normalized = keys.text(pl.col(ID_CELL), "id")
    result = rows.select(
        fast=plain_cell(rows, nulls),
        exact=normalized.is_not_null() & (normalized == pl.col(ID_CELL)),
    ).collect()
    assert result["fast"].to_list() == result["exact"].fill_null(value=False).to_list(), cells


TAG_CELLS = "aAbB ,\t\u212aİ"


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    cells=st.lists(st.text(alphabet=TAG_CELLS, max_size=8) | st.none(), min_size=1, max_size=20),
    values=st.lists(st.sampled_from(["a", "b", "ab", "k", "i̇", ""]), min_size=1, max_size=2),
    negate=st.booleans(),
)
def test_parts_of_a_tag_list_match_as_split_and_trimmed(
    cells: list[str | None], values: list[str], negate: bool
) -> None:
    """`tag: x` / `tag: {not: x}`: some part (split on ',', trimmed, lower-cased, non-empty)
    equals x / parts exist and none equals x; computed here the plain Python way."""
    comparison = Comparison((ValueTest("not_in" if negate else "in", tuple(values)),))
    frame = pl.DataFrame({"tags": cells}, schema={"tags": pl.String})
    found = frame.select(multi_text_compare(pl.col("tags"), ",", comparison))
    expected = []
    for cell in cells:
        parts = [p.strip().lower() for p in (cell or "").split(",") if p.strip()]
        hit = any(p in values for p in parts)
        expected.append(bool(parts) and (not hit if negate else hit))
    assert found.to_series().to_list() == expected, (cells, values, negate)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    cells=st.lists(st.text(alphabet=ALPHABET, max_size=6) | st.none(), min_size=1, max_size=20),
    values=st.lists(st.sampled_from(NEEDLES), min_size=1, max_size=3),
    op=st.sampled_from(["eq", "in", "not_in"]),
)
@example(cells=["\u212a", "K", "\u017f", "\u0130", " k ", "é"], values=["k", "s", "i"], op="in")
@example(cells=["\u212a", "K", "\u017f", "\u0130", " k ", "é"], values=["k", "s", "i"], op="not_in")
def test_equals_any_of_and_not_match_the_lower_cased_cell(
    cells: list[str | None], values: list[str], op: Literal["eq", "in", "not_in"]
) -> None:
    """text_compare on a normalized cell: `cell.lower() in values` (not: a cell that is not),
    computed here the plain Python way; ASCII values take the regex path, 'é' the other."""
    comparison = Comparison((ValueTest(op, tuple(values[:1] if op == "eq" else values)),))
    frame = pl.DataFrame({"raw": cells}, schema={"raw": pl.String})
    found = frame.select(text_compare(text(pl.col("raw")), comparison)).to_series().to_list()
    expected = []
    for cell in cells:
        value = (cell or "").strip() or None
        hit = value is not None and value.lower() in comparison.tests[0].values
        expected.append(value is not None and (not hit if op == "not_in" else hit))
    assert found == expected, (cells, values, op)
