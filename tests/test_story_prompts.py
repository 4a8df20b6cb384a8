"""The template planner reads the prompt: cast, setting and dialogue checked on everyday story prompts.

Each case says what a reader of the prompt expects: how many characters, which roles, the
place, time of day and weather every shot carries, and the premise's key nouns that the
dialogue must mention. Every case is also checked for repeated lines at several plan lengths.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from sparkle_cli.backends.planner.template import PlanOptions, TemplatePlanner
from sparkle_cli.profiles import load_profile
from sparkle_cli.validation import check_plan

TIMES = ("dawn", "morning", "day", "sunset", "dusk", "night")
WEATHERS = ("clear", "rain", "storm", "snow", "fog", "wind")
VOICE_GENDER = {
    **{f"f{k}": "female" for k in range(1, 6)},
    **{f"m{k}": "male" for k in range(1, 9)},
    "grandma": "female",
    "grandpa": "male",
    "whisperf": "female",
}
DANGLING = {"a", "an", "the", "of", "in", "on", "at", "and", "or", "to", "with", "for", "by", "from", "live", "her"}


@dataclass
class Case:
    prompt: str
    cast: int
    roles: dict[str, int] = field(default_factory=dict)  # role word -> characters whose description has it
    names: list[str] = field(default_factory=list)
    genders: dict[str, str] = field(default_factory=dict)  # name or role word -> female/male
    ages: dict[str, str] = field(default_factory=dict)  # name or role word -> old/young
    place: tuple[str, ...] = ()
    time: str | None = None
    weather: str | None = None
    keys: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.prompt


CASES = [
    Case(
        "A detective questions a baker about the missing bread in a small bakery at dawn.",
        cast=2,
        roles={"detective": 1, "baker": 1},
        place=("bakery",),
        time="dawn",
        keys=["bread"],
    ),
    Case(
        "Three astronauts repair a failing oxygen pump on a space station.",
        cast=3,
        roles={"astronaut": 3},
        place=("space station",),
        keys=["oxygen pump"],
    ),
    Case(
        "A grandmother and her grandson bake an apple pie in her kitchen on a snowy afternoon.",
        cast=2,
        roles={"grandmother": 1, "grandson": 1},
        genders={"grandmother": "female", "grandson": "male"},
        ages={"grandmother": "old", "grandson": "young"},
        place=("kitchen",),
        time="day",
        weather="snow",
        keys=["pie"],
    ),
    Case(
        "Two pirates, Anne and Jack, fight over a treasure map on a ship deck during a storm.",
        cast=2,
        roles={"pirate": 2},
        names=["Anne", "Jack"],
        genders={"Anne": "female", "Jack": "male"},
        place=("deck",),
        weather="storm",
        keys=["map"],
    ),
    Case(
        "A lonely robot tends a garden in the ruins of a city.",
        cast=1,
        roles={"robot": 1},
        place=("ruins", "garden"),
        keys=["garden"],
    ),
    Case(
        "A wizard and her talking cat search the library for a lost spell book at night.",
        cast=2,
        roles={"wizard": 1, "cat": 1},
        genders={"wizard": "female"},
        place=("library",),
        time="night",
        keys=["spell book"],
    ),
    Case(
        "Two rival chefs compete in the final of a cooking show.",
        cast=2,
        roles={"chef": 2},
        place=("studio",),
        keys=["final"],
    ),
    Case(
        "A knight and a dragon make peace at the mouth of a volcano at sunset.",
        cast=2,
        roles={"knight": 1, "dragon": 1},
        place=("volcano",),
        time="sunset",
        keys=["peace"],
    ),
    Case(
        "Yuki and Søren share a thermos of cocoa on a frozen lake at night.",
        cast=2,
        names=["Yuki", "Søren"],
        place=("lake",),
        time="night",
        keys=["cocoa"],
    ),
    Case(
        "Amara teaches her little brother Kofi to fish on the river at dawn.",
        cast=2,
        roles={"brother": 1},
        names=["Amara", "Kofi"],
        genders={"Amara": "female", "Kofi": "male"},
        ages={"Kofi": "young"},
        place=("river",),
        time="dawn",
        keys=["fish"],
    ),
    Case(
        "A lonely old fisherman mends his net on the harbor in the fog.",
        cast=1,
        roles={"fisherman": 1},
        genders={"fisherman": "male"},
        ages={"fisherman": "old"},
        place=("harbor",),
        weather="fog",
        keys=["net"],
    ),
    Case(
        "Four students in a classroom try to finish a volcano model before the science fair.",
        cast=4,
        roles={"student": 4},
        place=("classroom",),
        keys=["model", "science fair"],
    ),
    Case(
        "A nurse and a young doctor argue about a risky surgery in a hospital at night.",
        cast=2,
        roles={"nurse": 1, "doctor": 1},
        ages={"doctor": "young"},
        place=("hospital",),
        time="night",
        keys=["surgery"],
    ),
    Case(
        "Dr. Okafor and her assistant Luis test a time machine in a laboratory.",
        cast=2,
        roles={"assistant": 1},
        names=["Okafor", "Luis"],
        genders={"Okafor": "female", "Luis": "male"},
        place=("laboratory",),
        keys=["time machine"],
    ),
    Case(
        "A girl and her dog get lost in a foggy forest.",
        cast=2,
        roles={"girl": 1, "dog": 1},
        genders={"girl": "female"},
        ages={"girl": "young"},
        place=("forest",),
        weather="fog",
        keys=["lost"],
    ),
    Case(
        "Two old friends meet again at a train station in the rain.",
        cast=2,
        roles={"friend": 2},
        ages={"friend": "old"},
        place=("station",),
        weather="rain",
        keys=["station"],
    ),
    Case(
        "A mermaid helps a sailor find his way home across the sea at dusk.",
        cast=2,
        roles={"mermaid": 1, "sailor": 1},
        genders={"mermaid": "female", "sailor": "male"},
        place=("sea", "ocean"),
        time="dusk",
        keys=["home"],
    ),
    Case(
        "Mei-Ling, a street musician, plays her violin for coins on a busy city street at dusk.",
        cast=1,
        roles={"musician": 1},
        names=["Mei-Ling"],
        genders={"Mei-Ling": "female"},
        place=("street",),
        time="dusk",
        keys=["violin"],
    ),
    Case(
        "Three goblins plan a heist in a smoky tavern.",
        cast=3,
        roles={"goblin": 3},
        place=("tavern",),
        keys=["heist"],
    ),
    Case(
        "A farmer and his wife pray for rain on their dry farm.",
        cast=2,
        roles={"farmer": 1, "wife": 1},
        genders={"farmer": "male", "wife": "female"},
        place=("farm",),
        weather="clear",
        keys=["rain"],
    ),
    Case(
        "An explorer and her guide search for a lost temple in the jungle.",
        cast=2,
        roles={"explorer": 1, "guide": 1},
        genders={"explorer": "female"},
        place=("jungle",),
        keys=["temple"],
    ),
    Case(
        "A queen confronts a traitor in the throne room of her castle.",
        cast=2,
        roles={"queen": 1, "traitor": 1},
        genders={"queen": "female"},
        place=("throne room",),
        keys=["traitor"],
    ),
    Case(
        "José and Aiko, two divers, find a sunken ship at the bottom of the ocean.",
        cast=2,
        roles={"diver": 2},
        names=["José", "Aiko"],
        place=("ocean", "sea"),
        keys=["ship"],
    ),
    Case(
        "A ghost haunts a museum at midnight, looking for its lost painting.",
        cast=1,
        roles={"ghost": 1},
        place=("museum",),
        time="night",
        keys=["painting"],
    ),
    Case(
        "Twin sisters Priya and Asha open a cafe on a rainy morning.",
        cast=2,
        roles={"sister": 2},
        names=["Priya", "Asha"],
        genders={"Priya": "female", "Asha": "female"},
        place=("cafe",),
        time="morning",
        weather="rain",
        keys=["cafe"],
    ),
    Case(
        "A lonely astronaut walks on the surface of the moon.",
        cast=1,
        roles={"astronaut": 1},
        place=("moon",),
        keys=["moon"],
    ),
    Case(
        "A boy and his grandfather fly a kite on a windy beach.",
        cast=2,
        roles={"boy": 1, "grandfather": 1},
        genders={"boy": "male", "grandfather": "male"},
        ages={"boy": "young", "grandfather": "old"},
        place=("beach",),
        weather="wind",
        keys=["kite"],
    ),
    Case(
        "Captain Ines and her engineer Tomas argue about the storm inside a small harbor bar at night.",
        cast=2,
        roles={"captain": 1, "engineer": 1},
        names=["Ines", "Tomas"],
        genders={"Ines": "female", "Tomas": "male"},
        place=("bar", "tavern"),
        time="night",
        weather="storm",
        keys=["storm"],
    ),
    Case(
        "A fox and an owl search a snowy forest at dawn for the lantern they lost.",
        cast=2,
        roles={"fox": 1, "owl": 1},
        place=("forest",),
        time="dawn",
        weather="snow",
        keys=["lantern"],
    ),
    Case(
        "A TV chef and her nervous apprentice film a live episode in a studio kitchen.",
        cast=2,
        roles={"chef": 1, "apprentice": 1},
        genders={"chef": "female"},
        place=("studio", "kitchen"),
        keys=["episode"],
    ),
    Case(
        "A storm rolls over a quiet fishing village.",
        cast=1,
        roles={"narrator": 1},
        place=("village",),
        weather="storm",
        keys=["village"],
    ),
]

# Written after the planner was tuned on CASES, and not tuned on: how it reads prompts it has not seen.
CASES_AFTER = [
    Case(
        "Two sisters, Lena and Mia, argue over their late father's violin in an attic during a thunderstorm.",
        cast=2,
        roles={"sister": 2},
        names=["Lena", "Mia"],
        genders={"Lena": "female", "Mia": "female"},
        place=("attic",),
        weather="storm",
        keys=["violin"],
    ),
    Case(
        "A young witch and her black cat brew a potion in a cottage on a foggy night.",
        cast=2,
        roles={"witch": 1, "cat": 1},
        genders={"witch": "female"},
        ages={"witch": "young"},
        place=("cottage",),
        time="night",
        weather="fog",
        keys=["potion"],
    ),
    Case(
        "An elderly man teaches his granddaughter to play chess in a quiet park on a sunny afternoon.",
        cast=2,
        roles={"man": 1, "granddaughter": 1},
        genders={"man": "male", "granddaughter": "female"},
        ages={"man": "old", "granddaughter": "young"},
        place=("park",),
        time="day",
        weather="clear",
        keys=["chess"],
    ),
    Case(
        "Kenji, a nervous pilot, must land a damaged plane in a snowstorm.",
        cast=1,
        roles={"pilot": 1},
        names=["Kenji"],
        genders={"Kenji": "male"},
        place=("plane",),
        weather="snow",
        keys=["plane"],
    ),
    Case(
        "Five kids build a treehouse in the woods during summer vacation.",
        cast=5,
        roles={"kid": 5},
        place=("woods", "forest"),
        keys=["treehouse"],
    ),
    Case(
        "A baker and a food critic clash over a burnt croissant in a Paris cafe.",
        cast=2,
        roles={"baker": 1, "critic": 1},
        place=("cafe",),
        keys=["croissant"],
    ),
    Case(
        "Ingrid and her husband Olav run from the lava on a small volcanic island.",
        cast=2,
        roles={"husband": 1},
        names=["Ingrid", "Olav"],
        genders={"Ingrid": "female", "Olav": "male"},
        place=("island",),
        keys=["lava"],
    ),
    Case(
        "A robot butler and a grumpy old cat share a tiny apartment in a rainy city.",
        cast=2,
        roles={"robot": 1, "cat": 1},
        place=("apartment",),
        weather="rain",
        keys=["apartment"],
    ),
    Case(
        "A teenage hacker breaks into a bank's computer at midnight.",
        cast=1,
        roles={"hacker": 1},
        ages={"hacker": "young"},
        place=("bank",),
        time="night",
        keys=["computer"],
    ),
    Case(
        "Two astronauts, Priya and Tom, argue about whether to land on Mars.",
        cast=2,
        roles={"astronaut": 2},
        names=["Priya", "Tom"],
        genders={"Priya": "female", "Tom": "male"},
        place=("mars",),
        keys=["Mars"],
    ),
    Case(
        "A shy librarian finds a secret door behind the shelves of an old library.",
        cast=1,
        roles={"librarian": 1},
        place=("library",),
        keys=["door"],
    ),
    Case(
        "Grandpa Joe and his dog Biscuit wait for the last train at a snowy station.",
        cast=2,
        roles={"dog": 1},
        names=["Joe", "Biscuit"],
        genders={"Joe": "male"},
        ages={"Joe": "old"},
        place=("station",),
        weather="snow",
        keys=["train"],
    ),
]
ALL_CASES = CASES + CASES_AFTER


def plan_for(prompt: str, shots: int = 3) -> dict[str, Any]:
    plan = TemplatePlanner().plan(PlanOptions(prompt=prompt, shots=shots))
    plan["render_profile"] = load_profile("builtin")
    return plan


def lines_of(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in plan["dialogue_timeline"] if e["type"] == "dialogue"]


def words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", text.lower()))


def who(plan: dict[str, Any], key: str) -> dict[str, Any]:
    """The character a case means by `key`: a name, else the first whose description has the role word."""
    for c in plan["characters"]:
        if key in c["name"].split() or c["name"] == key:
            return c
    for c in plan["characters"]:
        if key.lower() in words(c["description"]):
            return c
    raise AssertionError(f"no character for {key!r}: {[(c['name'], c['description']) for c in plan['characters']]}")


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_cast(case: Case) -> None:
    plan = plan_for(case.prompt)
    cast = plan["characters"]
    described = [(c["name"], c["description"]) for c in cast]
    assert len(cast) == case.cast, described
    for role, count in case.roles.items():
        having = [c for c in cast if role in words(c["description"])]
        assert len(having) >= count, f"{role}: {described}"
    names = [c["name"] for c in cast]
    for name in case.names:
        assert any(name in n for n in names), f"{name} not in {names}"
    for c in cast:
        # A role gets a readable name; the description starts with the role or species phrase.
        assert c["name"][0].isupper() and c["name"].lower() not in {"tv", "live", "the"}, described
        assert re.match(r"^(a|an) [^\W\d_]", c["description"]), described
    for key, gender in case.genders.items():
        character = who(plan, key)
        assert character["voice_profile"]["gender"] == gender, (key, character)
        assert VOICE_GENDER.get(character["voice_profile"]["voice"].split("+")[1]) == gender, character["voice_profile"]
    for key, age in case.ages.items():
        character = who(plan, key)
        expected = {"old": {"old", "elderly", "aged"}, "young": {"young", "little", "child", "boy", "girl"}}[age]
        assert words(character["description"]) & expected, (key, character["description"])


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_setting_in_every_shot_and_keyframe(case: Case) -> None:
    plan = plan_for(case.prompt, shots=4)
    for shot in plan["shots"]:
        setting = shot["setting"].lower()
        assert any(p in setting for p in case.place), shot["setting"]
        found_times = [t for t in TIMES if t in words(setting)]
        found_weather = [w for w in WEATHERS if w in words(setting)]
        assert len(found_times) == 1, shot["setting"]
        assert len(found_weather) == 1, shot["setting"]
        if case.time:
            assert found_times == [case.time], shot["setting"]
        if case.weather:
            assert found_weather == [case.weather], shot["setting"]
    for image in plan["base_images"]:
        assert any(p in image["prompt"].lower() for p in case.place), image["prompt"]


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_dialogue_is_about_the_premise(case: Case) -> None:
    plan = plan_for(case.prompt)
    spoken = " ".join(line["text"] for line in lines_of(plan)).lower()
    for key in case.keys:
        assert re.search(rf"\b{re.escape(key.lower())}", spoken), f"{key!r} never said in: {spoken}"
    speakers = {line["character_id"] for line in lines_of(plan)}
    if case.cast == 1:
        assert speakers == {plan["characters"][0]["id"]}
    else:
        assert len(speakers) >= 2


@pytest.mark.parametrize("shots", [1, 3, 6, 12, 40])
@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_no_line_repeats_and_the_plan_validates(case: Case, shots: int) -> None:
    plan = plan_for(case.prompt, shots=shots)
    texts = [line["text"] for line in lines_of(plan)]
    assert texts, "a plan has dialogue"
    repeated = [t for t, n in Counter(texts).items() if n > 1]
    assert not repeated, repeated
    assert len(plan["shots"]) == shots and len(plan["base_images"]) == shots + 1
    check = check_plan(plan)
    assert check.ok, check.errors
    assert check.notices == []


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_title_is_about_the_subject(case: Case) -> None:
    title = plan_for(case.prompt)["title"]
    last = re.findall(r"[^\W\d_]+", title)[-1].lower()
    assert last not in DANGLING, title
    assert title[0].isupper() and len(title) <= 60, title


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_keyframes_say_who_is_in_frame(case: Case) -> None:
    plan = plan_for(case.prompt, shots=6)
    names = [c["name"] for c in plan["characters"]]
    images = plan["base_images"]
    assert "wide" in images[0]["prompt"].lower(), images[0]["prompt"]
    for image in images:
        text = image["prompt"]
        shown = [n for n in names if n in text]
        if text.lower().startswith("close-up"):
            assert len(shown) == 1, text
        if len(shown) >= 2:
            assert " and ".join(shown[-2:]) in text and "together" in text, text


def test_many_shots_stay_fresh() -> None:
    plan = plan_for(CASES[1].prompt, shots=200)
    texts = [line["text"] for line in lines_of(plan)]
    assert len(texts) >= 100 and len(set(texts)) == len(texts)


def test_child_and_old_voices_differ_in_pitch() -> None:
    plan = plan_for("A boy and his grandfather fly a kite on a windy beach.")
    boy, grandfather = who(plan, "boy"), who(plan, "grandfather")
    assert boy["voice_profile"]["pitch"] > grandfather["voice_profile"]["pitch"] + 10


def test_same_prompt_same_plan() -> None:
    assert plan_for(CASES[0].prompt, shots=5) == plan_for(CASES[0].prompt, shots=5)
