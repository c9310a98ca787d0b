from metrics.themes.discovery import discover, fold
from metrics.themes.text import ThemeRule, terms, themes_of

BELL = ThemeRule.of("bell", "Courier did not ring", ["courier never rang the bell"])
RAIN = ThemeRule.of("rain", "Soaked", ["parcel left in the rain"])


def test_a_comment_has_a_theme_when_it_says_one_of_its_phrases_whatever_else_it_says():
    assert themes_of("Courier never rang the bell.", [BELL, RAIN]) == ["bell"]
    assert themes_of("Courier never rang the bell. Please fix this.", [BELL, RAIN]) == ["bell"]
    assert themes_of("Again, the courier NEVER rang the bell!", [BELL, RAIN]) == ["bell"]
    # A negation is a word of the phrase: ringing is not "never rang".
    assert themes_of("The courier rang the bell twice.", [BELL]) == []
    assert themes_of("", [BELL]) == []


def test_words_are_compared_stemmed_without_function_words():
    assert terms("The parcels were waiting in the rain") == ["parcel", "wait", "rain"]
    assert themes_of("Parcels left in the rain again", [RAIN]) == ["rain"]


def test_near_duplicates_fold_into_their_shortest_form():
    roots = fold(
        [
            "Courier never rang the bell.",
            "Courier never rang the bell. Please fix this.",
            "Disappointed: courier never rang the bell, not the first time.",
            "Please fix this.",
        ]
    )
    bell = next(r for r in roots if "bell" in r.words)
    assert bell.text == "Courier never rang the bell" and bell.comments == 3
    # "Please fix this" is a root of its own, and does not take the longer comments.
    assert next(r for r in roots if "bell" not in r.words).comments == 1


def test_discovered_themes_keep_near_duplicates_together_and_are_repeatable():
    texts = ["Courier never rang the bell.", "Courier never rang the bell. Please fix this."] * 4
    texts += ["Parcel soaked by the rain.", "Frustrating: parcel soaked by the rain!"] * 3
    texts += ["Refund took three weeks.", "Refund took three weeks, not the first time."] * 2
    texts += ["Driver was lovely."] * 2
    found = discover(texts, min_comments=3)
    assert found == discover(texts, min_comments=3)
    assert [(f.phrases[0], f.comments) for f in found] == [
        ("Courier never rang the bell", 8),
        ("Parcel soaked by the rain", 6),
        ("Refund took three weeks", 4),
    ]  # "Driver was lovely" has too few comments
    assert "soaked" in found[1].terms  # as customers wrote it, not its stem "soak"
    # Accepting a suggestion covers the comments it was found in.
    rule = ThemeRule.of("s", found[0].name, found[0].phrases)
    assert all(themes_of(t, [rule]) == ["s"] for t in texts[:8])
