"""What changed between two maps (journey.versions.schemas.JourneyMap, as stored): pure."""

from typing import Any

OWNER_FIELDS = ("owner_team_id", "owner_team_name", "owner_name", "owner_email")
STAGE_FIELDS = ("name", "description", "experience", "designed_emotion")


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    old_stages = {s["id"]: s for s in before["stages"]}
    new_stages = {s["id"]: s for s in after["stages"]}
    old = _touchpoints(before)
    new = _touchpoints(after)
    kept = [i for i in new if i in old]

    def ref(tp_id: str, where: dict[str, dict[str, Any]]) -> dict[str, Any]:
        tp = where[tp_id]
        return {
            "id": tp_id,
            "name": tp["name"],
            "stage_id": tp["stage_id"],
            "stage_name": tp["stage_name"],
        }

    def changed(fields: tuple[str, ...] | str) -> list[dict[str, Any]]:
        def pick(tp: dict[str, Any]) -> Any:
            if isinstance(fields, str):
                return tp[fields]
            return {f: tp.get(f) for f in fields}

        return [
            {**ref(i, new), "before": pick(old[i]), "after": pick(new[i])}
            for i in kept
            if pick(old[i]) != pick(new[i])
        ]

    return {
        "journey": {
            k: {"before": v, "after": after["journey"].get(k)}
            for k, v in before["journey"].items()
            if after["journey"].get(k) != v
        },
        "stages_added": [_stage_ref(new_stages[i]) for i in new_stages if i not in old_stages],
        "stages_removed": [_stage_ref(old_stages[i]) for i in old_stages if i not in new_stages],
        "stages_changed": [
            {
                **_stage_ref(new_stages[i]),
                "changes": {
                    f: {"before": old_stages[i][f], "after": new_stages[i][f]}
                    for f in STAGE_FIELDS
                    if old_stages[i][f] != new_stages[i][f]
                },
            }
            for i in new_stages
            if i in old_stages and any(old_stages[i][f] != new_stages[i][f] for f in STAGE_FIELDS)
        ],
        "touchpoints_added": [ref(i, new) for i in new if i not in old],
        "touchpoints_removed": [ref(i, old) for i in old if i not in new],
        "touchpoints_moved": [
            {
                **ref(i, new),
                "from_stage_id": old[i]["stage_id"],
                "from_stage_name": old[i]["stage_name"],
                "from_position": old[i]["position"],
                "position": new[i]["position"],
            }
            for i in _moved(old, new, kept)
        ],
        "touchpoints_reowned": changed(OWNER_FIELDS),
        "touchpoints_renamed": changed("name"),
        "standards_changed": changed("standard"),
        "targets_changed": changed("targets"),
    }


def _stage_ref(stage: dict[str, Any]) -> dict[str, Any]:
    return {"id": stage["id"], "name": stage["name"]}


def _touchpoints(journey_map: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every touchpoint by id, in the journey's order, with its stage."""
    return {
        tp["id"]: {**tp, "stage_id": stage["id"], "stage_name": stage["name"]}
        for stage in journey_map["stages"]
        for tp in stage["touchpoints"]
    }


def _moved(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], kept: list[str]
) -> list[str]:
    """Touchpoints in another stage, and within a stage the fewest whose move explains the new
    order: those outside the longest run already in the old order. Inserting or removing a
    touchpoint shifts its neighbours' positions without moving them."""
    moved = {i for i in kept if old[i]["stage_id"] != new[i]["stage_id"]}
    stages = dict.fromkeys(new[i]["stage_id"] for i in kept)
    for stage_id in stages:
        stayed = [i for i in kept if i not in moved and new[i]["stage_id"] == stage_id]
        in_order = _longest_increasing([old[i]["position"] for i in stayed])
        moved.update(i for n, i in enumerate(stayed) if n not in in_order)
    return [i for i in kept if i in moved]


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of `values` (O(n^2): a stage
    holds tens of touchpoints)."""
    if not values:
        return set()
    length = [1] * len(values)
    previous = [-1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i] and length[j] + 1 > length[i]:
                length[i], previous[i] = length[j] + 1, j
    end = max(range(len(values)), key=lambda k: length[k])
    chosen = set()
    while end != -1:
        chosen.add(end)
        end = previous[end]
    return chosen
