"""Comparing two maps: the fewest moves that explain a new order, and moves across stages."""

from typing import Any

from journey.versions.compare import compare


def tp(id_: str, position: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "name": id_.upper(),
        "position": position,
        "owner_team_id": None,
        "owner_team_name": None,
        "owner_name": "",
        "owner_email": None,
        "standard": "",
        "targets": [],
        **fields,
    }


def journey_map(**stages: list[str]) -> dict[str, Any]:
    return {
        "journey": {"name": "J"},
        "stages": [
            {
                "id": stage,
                "name": stage.title(),
                "description": "",
                "experience": "",
                "designed_emotion": 0,
                "touchpoints": [tp(t, n) for n, t in enumerate(ids)],
            }
            for stage in stages
            for ids in [stages[stage]]
        ],
    }


def moved(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [m["id"] for m in compare(before, after)["touchpoints_moved"]]


def test_one_touchpoint_moved_to_the_front_is_the_only_move():
    assert moved(journey_map(s=["a", "b", "c", "d"]), journey_map(s=["d", "a", "b", "c"])) == ["d"]


def test_inserting_or_removing_shifts_positions_without_moving_anything():
    before = journey_map(s=["a", "b", "c"])
    assert moved(before, journey_map(s=["new", "a", "b", "c"])) == []
    assert moved(before, journey_map(s=["a", "c"])) == []
    diff = compare(before, journey_map(s=["a", "c"]))
    assert [t["id"] for t in diff["touchpoints_removed"]] == ["b"]


def test_a_touchpoint_in_another_stage_is_moved_and_its_old_neighbours_are_not():
    before = journey_map(s=["a", "b", "c"], t=["x"])
    after = journey_map(s=["a", "c"], t=["b", "x"])
    [move] = compare(before, after)["touchpoints_moved"]
    assert (move["id"], move["from_stage_id"], move["stage_id"]) == ("b", "s", "t")
    assert (move["from_position"], move["position"]) == (1, 0)


def test_a_reversed_stage_moves_all_but_one():
    assert len(moved(journey_map(s=["a", "b", "c"]), journey_map(s=["c", "b", "a"]))) == 2


def test_identical_maps_compare_empty():
    same = journey_map(s=["a"], t=["b"])
    assert all(not v for v in compare(same, same).values())
