"""Timeline arithmetic: speech is never cut; overflow uses the silence after, then lengthens the shot."""

from __future__ import annotations

from sparkle_cli.timeline import MIN_GAP_S, frame_counts, reconcile, shot_at

TIMELINE = [
    {"type": "silence", "start_time_sec": 0.0, "duration_sec": 8.4},
    {"type": "dialogue", "id": "a", "character_id": "ava", "text": "x", "start_time_sec": 8.4, "duration_sec": 2.6},
    {"type": "dialogue", "id": "b", "character_id": "miko", "text": "y", "start_time_sec": 11.2, "duration_sec": 2.2},
    {"type": "silence", "start_time_sec": 13.4, "duration_sec": 4.1},
]
SHOTS = [("shot_001", 8.0), ("shot_002", 9.5)]


def test_lines_that_fit_keep_their_times_and_shots_keep_their_lengths() -> None:
    fitted = reconcile(TIMELINE, SHOTS, {"a": 1.5, "b": 1.2})
    assert [ln.start_time_actual_s for ln in fitted.lines] == [8.4, 11.2]
    assert fitted.shot_durations_revised == {"shot_001": 8.0, "shot_002": 9.5}
    assert fitted.insertions == []
    assert abs(fitted.lines[0].padding_after_s - (11.2 - 8.4 - 1.5)) < 1e-9


def test_a_long_line_uses_the_silence_after_it_first() -> None:
    # 2.7 s of speech in a 2.6 s slot: the 0.2 s gap before the next line absorbs it.
    fitted = reconcile(TIMELINE, SHOTS, {"a": 2.65, "b": 1.0})
    assert fitted.insertions == []
    assert fitted.lines[1].start_time_actual_s == 11.2


def test_a_line_too_long_for_its_slot_lengthens_the_shot_and_moves_later_lines() -> None:
    fitted = reconcile(TIMELINE, SHOTS, {"a": 3.5, "b": 1.0})
    overflow = 3.5 + MIN_GAP_S - 2.8
    assert len(fitted.insertions) == 1
    assert abs(fitted.shot_durations_revised["shot_002"] - (9.5 + overflow)) < 1e-9
    assert fitted.shot_durations_revised["shot_001"] == 8.0
    assert abs(fitted.lines[1].start_time_actual_s - (11.2 + overflow)) < 1e-9
    # no line is cut: each one ends before the next starts
    assert fitted.lines[0].end_time_actual_s <= fitted.lines[1].start_time_actual_s


def test_the_last_line_extends_the_last_shot_instead_of_being_cut() -> None:
    fitted = reconcile(TIMELINE, SHOTS, {"a": 1.0, "b": 7.0})
    assert fitted.lines[1].end_time_actual_s <= fitted.total_revised_s
    assert fitted.shot_durations_revised["shot_002"] > 9.5


def test_frame_counts_round_at_boundaries_so_totals_never_drift() -> None:
    durations = [1.01, 1.01, 1.01, 1.01]
    counts = frame_counts(durations, 24)
    assert sum(counts) == round(sum(durations) * 24)
    assert all(c >= 1 for c in counts)


def test_shot_at_boundary_rules() -> None:
    durations = [8.0, 9.5]
    assert shot_at(8.0, ["a", "b"], durations, closed_right=False) == 1
    assert shot_at(8.0, ["a", "b"], durations, closed_right=True) == 0
