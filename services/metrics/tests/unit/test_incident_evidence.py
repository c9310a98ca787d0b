"""How an incident's evidence quotes a comment and which days it reads."""

from datetime import date

from metrics.alerts.evidence import QUOTE_CHARS, short, window


def test_a_long_comment_is_quoted_on_one_line_cut_at_a_word():
    text = "The parcel arrived late,\nagain. " + "Nobody called and nobody answered " * 10
    quote = short(text)
    assert quote.startswith("The parcel arrived late, again. Nobody called")
    assert quote.endswith("…") and len(quote) <= QUOTE_CHARS + 1
    assert quote[:-1] == text.replace("\n", " ")[: len(quote) - 1]
    assert not quote[:-1].endswith(" ")
    assert short("  Arrived   late.  ") == "Arrived late."


def test_the_window_runs_from_the_first_signal_day_to_the_last():
    signals = [
        {"evidence": {"window": {"from": "2026-05-02", "to": "2026-05-29"}}},
        {"evidence": {"window": {"from": "2026-05-01", "to": "2026-05-28"}}},
    ]
    assert window(signals) == (date(2026, 5, 1), date(2026, 5, 29))
    assert window([{"evidence": {}}]) is None
