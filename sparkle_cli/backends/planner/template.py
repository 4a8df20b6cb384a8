"""The built-in planner: a readable, editable MoviePlan from a prompt, deterministic for a seed.

It finds the characters the prompt names (or the roles it mentions, else two friends), keeps
the prompt's place, time of day and weather in every keyframe, arcs the shots from an
establishing view through talking close-ups to a closing view, and writes lines that fit
the prompt's mood, timed at a speaking rate.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from sparkle_cli.backends.base import Backend
from sparkle_cli.timeline import words_per_second_estimate
from sparkle_cli.validation import stable_seed

STOPWORDS = {
    "a",
    "an",
    "the",
    "two",
    "three",
    "and",
    "or",
    "on",
    "in",
    "at",
    "of",
    "to",
    "before",
    "after",
    "with",
    "by",
    "for",
    "from",
    "under",
    "over",
    "while",
    "as",
    "when",
    "into",
    "their",
    "his",
    "her",
    "they",
    "one",
    "night",
    "day",
    "morning",
    "evening",
    "sunrise",
    "sunset",
    "dawn",
    "dusk",
    "midnight",
    "noon",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "i",
    "we",
    "it",
    "this",
}
ROLES = [
    "friend",
    "detective",
    "robot",
    "fox",
    "owl",
    "sailor",
    "chef",
    "pilot",
    "sister",
    "brother",
    "mother",
    "father",
    "daughter",
    "son",
    "girl",
    "boy",
    "woman",
    "man",
    "knight",
    "wizard",
    "dragon",
    "astronaut",
    "captain",
    "doctor",
    "teacher",
    "student",
    "stranger",
    "musician",
    "painter",
    "farmer",
    "thief",
    "queen",
    "king",
    "cat",
    "dog",
    "bear",
    "rabbit",
    "ghost",
    "witch",
    "soldier",
    "grandmother",
    "grandfather",
]
FEMININE = {"sister", "mother", "daughter", "girl", "woman", "queen", "witch", "grandmother"}
MASCULINE = {"brother", "father", "son", "boy", "man", "king", "grandfather"}
COMMON_STARTS = {
    "rain",
    "snow",
    "fog",
    "wind",
    "storm",
    "in",
    "after",
    "late",
    "early",
    "once",
    "somewhere",
    "friends",
    "strangers",
    "lovers",
    "everyone",
    "nobody",
    "someone",
    "neon",
    "old",
    "young",
    "little",
}
SETTING_NOUNS = [
    "forest",
    "woods",
    "beach",
    "shore",
    "ocean",
    "sea",
    "lake",
    "river",
    "mountain",
    "hills",
    "desert",
    "city",
    "street",
    "alley",
    "rooftop",
    "roof",
    "bridge",
    "harbor",
    "station",
    "train",
    "cafe",
    "bar",
    "kitchen",
    "apartment",
    "office",
    "studio",
    "garden",
    "field",
    "meadow",
    "farm",
    "library",
    "market",
    "castle",
    "village",
    "space",
    "ship",
    "spaceship",
    "cave",
    "island",
    "park",
    "school",
    "room",
]
GENERIC_NAMES = [
    ("Rae", "female"),
    ("Jonah", "male"),
    ("Nia", "female"),
    ("Theo", "male"),
    ("Mara", "female"),
    ("Idris", "male"),
    ("Lena", "female"),
    ("Kai", "male"),
]
TIME_WORDS = [
    "sunrise",
    "dawn",
    "morning",
    "noon",
    "afternoon",
    "golden hour",
    "sunset",
    "dusk",
    "twilight",
    "evening",
    "night",
    "midnight",
]
WEATHER_WORDS = ["rain", "storm", "snow", "fog", "mist", "clouds", "wind", "drizzle", "clear sky"]

MOODS: dict[str, dict[str, Any]] = {
    "reconcile": {
        "keys": ["reconcile", "apolog", "forgive", "make up", "mend", "sorry"],
        "style": ("confessional", "calm"),
        "lines": [
            [
                "I kept thinking about what I said to you.",
                "I was scared of losing us.",
                "I should have called you back.",
            ],
            ["You never had to be.", "I was angry, but I missed you more.", "We both said things we didn't mean."],
            ["Can we start again from here?", "I'm glad you came up tonight.", "Stay until the sun comes up?"],
            ["Yes. Right here is a good place to start.", "I'm not going anywhere.", "Let's watch it together."],
        ],
    },
    "conflict": {
        "keys": ["argue", "fight", "confront", "betray", "quarrel", "rival", "duel"],
        "style": ("angry", "defiant"),
        "lines": [
            ["You knew, and you didn't tell me.", "Why did you lie to me?", "This was never your call to make."],
            ["I was trying to protect you.", "You wouldn't have listened anyway.", "I did what I had to do."],
            ["Then explain it now, all of it.", "Don't walk away from me again.", "I need the truth, tonight."],
            ["Fine. Here is everything.", "You're right. I owe you that much.", "Sit down. It's a long story."],
        ],
    },
    "discovery": {
        "keys": [
            "discover",
            "find",
            "found",
            "explore",
            "uncover",
            "map",
            "treasure",
            "secret",
            "mystery",
            "search",
            "lost",
        ],
        "style": ("curious", "excited"),
        "lines": [
            ["Do you see that light over there?", "Wait, look at this.", "This wasn't on any map."],
            ["It's been hidden here all along.", "Someone wanted us to find it.", "Careful. Don't touch it yet."],
            ["What do we do now?", "We can't tell anyone. Not yet.", "Help me open it."],
            ["We go further in, together.", "We write it all down and come back.", "Now everything changes."],
        ],
    },
    "tension": {
        "keys": ["escape", "chase", "run", "hide", "storm", "danger", "heist", "rescue"],
        "style": ("urgent", "steady"),
        "lines": [
            ["They're right behind us.", "We have two minutes, maybe less.", "Keep your head down."],
            ["Take my hand and don't let go.", "I know another way out.", "Trust me on this one."],
            ["Is it safe now?", "Did anyone see us?", "We made it. I think we made it."],
            ["For now. Catch your breath.", "Yes. Nobody followed.", "Next time, we plan better."],
        ],
    },
    "joy": {
        "keys": ["celebrate", "party", "wedding", "birthday", "festival", "dance", "win", "reunion"],
        "style": ("excited", "warm"),
        "lines": [
            ["I can't believe we actually did it.", "Look at all these lights!", "Everyone came, everyone."],
            ["I told you it would work.", "You deserve every bit of this.", "Best night in years."],
            ["Will you dance with me?", "Let's never forget this.", "Make a wish, quickly."],
            ["Only if you lead.", "Already did. It came true.", "We'll do it again next year."],
        ],
    },
    "conversation": {
        "keys": [],
        "style": ("warm", "calm"),
        "lines": [
            ["I didn't expect to see you here.", "It's quieter than I remembered.", "Have you been waiting long?"],
            ["I come here when I need to think.", "Only a little. It's worth it.", "Some things don't change."],
            ["What are you going to do next?", "Do you ever wish you'd stayed?", "Tell me what happened."],
            ["I think I'm finally ready.", "Sometimes. Not tonight.", "Walk with me and I'll tell you."],
        ],
    },
}


@dataclass
class PlanOptions:
    prompt: str
    title: str | None = None
    shots: int = 3
    seconds: float | None = None
    seed: int | None = None


def _sentences_case_words(prompt: str) -> list[str]:
    """Capitalised words that are not a sentence's first word and not common words: likely names."""
    names = []
    for sentence in re.split(r"[.!?]\s+", prompt):
        words = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)
        for i, word in enumerate(words):
            common = word.lower() in STOPWORDS or word.lower() in ROLES or word.lower() in COMMON_STARTS
            if word[0].isupper() and not common and (i > 0 or len(word) > 1):
                if word not in names:
                    names.append(word)
    return names


def find_characters(prompt: str, rng: random.Random) -> list[dict[str, Any]]:
    lowered = prompt.lower()
    named = _sentences_case_words(prompt)[:4]
    found: list[tuple[str, str, str]] = []  # name, gender, description
    for name in named:
        found.append((name, "", f"{name}, as the prompt tells it: {prompt.strip()}"))
    if not found:
        for role in ROLES:
            if re.search(rf"\b{role}s?\b", lowered) and role != "friend":
                gender = "female" if role in FEMININE else "male" if role in MASCULINE else ""
                found.append((role.capitalize(), gender, f"The {role} of the story"))
            if len(found) == 2:
                break
    if len(found) < 2:
        pool = [n for n in GENERIC_NAMES if n[0] not in {f[0] for f in found}]
        rng.shuffle(pool)
        while len(found) < 2:
            name, gender = pool.pop()
            found.append((name, gender, f"{name}, one of two friends in the story"))
    characters = []
    for i, (name, gender, description) in enumerate(found):
        ident = re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_") or f"character_{i}"
        characters.append({"id": ident, "name": name, "description": description, "gender": gender})
    return characters


def _mood(prompt: str) -> str:
    lowered = prompt.lower()
    for mood, spec in MOODS.items():
        if any(key in lowered for key in spec["keys"]):
            return mood
    return "conversation"


PLACE_RE = re.compile(
    r"\b(?:on|in|at|inside|across|under|near|by|through)\s+(?:a|an|the)\s+((?:[a-z-]+\s+){0,2}[a-z-]+)"
)
VERBS = {
    "reconcile",
    "argue",
    "fight",
    "meet",
    "talk",
    "dance",
    "discover",
    "find",
    "escape",
    "run",
    "hide",
    "celebrate",
    "wait",
    "sit",
    "stand",
    "walk",
    "look",
    "share",
    "say",
    "plan",
    "search",
    "watch",
    "learn",
    "confront",
    "explore",
    "sing",
    "cook",
    "chase",
    "rescue",
    "remember",
    "decide",
    "make",
    "is",
    "are",
}
MOOD_TITLES = {
    "reconcile": "Reconciliation",
    "conflict": "The Confrontation",
    "discovery": "The Discovery",
    "tension": "The Escape",
    "joy": "The Celebration",
    "conversation": "A Conversation",
}


def _scene_words(prompt: str) -> tuple[str, str, str]:
    """The place (\"the neon rooftop\"), time of day and weather the prompt mentions."""
    lowered = prompt.lower()
    time = next((w for w in TIME_WORDS if w in lowered), "")
    weather = next((w for w in WEATHER_WORDS if w in lowered), "")
    match = PLACE_RE.search(lowered)
    if match:
        words = []
        for word in match.group(1).split():
            if word in VERBS or word in STOPWORDS or word.endswith("ing"):
                break
            if word not in ROLES:
                words.append(word)
        place = "the " + " ".join(words) if words else ""
    else:
        place = ""
    if not place:
        noun = re.search(r"(?:\b(?:a|an|the)\s+)((?:[a-z-]+\s+)?(?:" + "|".join(SETTING_NOUNS) + r"))\b", lowered)
        if noun:
            words = [w for w in noun.group(1).split() if w not in VERBS and w not in STOPWORDS]
            place = "the " + " ".join(words)
    return place or "the place where it happens", time, weather


class TemplatePlanner(Backend):
    name = "template"
    kind = "planner"
    version = "1"
    model_label: ClassVar[str] = "template (built-in, no model)"

    def plan(self, options: PlanOptions) -> dict[str, Any]:
        prompt = options.prompt.strip()
        seed = options.seed if options.seed is not None else stable_seed("template", prompt, options.title or "")
        rng = random.Random(seed)
        shots_n = max(1, min(int(options.shots), 200))
        characters = find_characters(prompt, rng)
        mood = _mood(prompt)
        spec = MOODS[mood]
        place, time, weather = _scene_words(prompt)
        ambience = ", ".join(x for x in (time, weather) if x)
        a, b = characters[0], characters[1 % len(characters)]
        title = options.title or _title_from(place, mood)

        voice_styles = spec["style"]
        for i, c in enumerate(characters):
            gender = c.pop("gender") or ("female" if i % 2 == 0 else "male")
            c["voice_profile"] = {
                "style": voice_styles[i % len(voice_styles)],
                "language": "en-US",
                "gender": gender,
                "pitch": 62 - 14 * (i % 2) + rng.randint(-4, 4)
                if gender == "female"
                else 40 - 6 * (i % 2) + rng.randint(-4, 4),
                "rate": 160 + rng.randint(-12, 12),
            }

        # The arc: establishing view, talking close-ups that alternate speakers, a closing view.
        roles = ["establishing"] + ["talk"] * max(0, shots_n - 2) + (["closing"] if shots_n >= 2 else [])
        if shots_n == 2:
            roles = ["establishing", "talk"]
        if shots_n == 1:
            roles = ["talk"]
        line_pool = [rng.sample(options_, len(options_)) for options_ in spec["lines"]]
        shots, timeline, keyframes = [], [], []
        cursor = 0.0
        beat = 0
        speakers: list[dict[str, Any]] = []
        talk_index = 0
        for i, role in enumerate(roles):
            speaker = a if talk_index % 2 == 0 else b
            talk_index += role == "talk"
            speakers.append(speaker)
            listener = b if speaker is a else a
            lines: list[tuple[dict[str, Any], str]] = []
            if role == "talk":
                lines.append((speaker, line_pool[beat % 4][beat // 4 % len(line_pool[beat % 4])]))
                beat += 1
                lines.append((listener, line_pool[beat % 4][beat // 4 % len(line_pool[beat % 4])]))
                beat += 1
            elif role == "closing" and shots_n >= 2:
                lines.append((speaker, line_pool[3][beat // 4 % len(line_pool[3])]))
                beat += 1
            lead = 0.8 if role != "establishing" else 0.0
            start = cursor + lead
            for who, text in lines:
                est = words_per_second_estimate(text)
                timeline.append(
                    {
                        "type": "dialogue",
                        "character_id": who["id"],
                        "text": text,
                        "start_time_sec": round(start, 2),
                        "duration_sec": est,
                    }
                )
                start += est + 0.5
            needed = (start - cursor) + 0.6 if lines else 0.0
            duration = round(max(needed, 4.0 if role == "establishing" else 5.0), 2)
            shots.append(self._shot(i, role, duration, place, ambience, speaker, listener))
            cursor += duration
        if options.seconds:
            scale = float(options.seconds) / cursor
            if scale > 1.0:
                for shot in shots:
                    shot["duration_sec"] = round(shot["duration_sec"] * scale, 2)
        keyframes = self._keyframes(roles, speakers, place, ambience, a, b, seed)
        timeline = _with_silences(timeline, sum(s["duration_sec"] for s in shots))
        for c in characters:
            c["description"] = c["description"][:2000]
        return {
            "title": title,
            "characters": characters,
            "base_images": keyframes,
            "shots": shots,
            "dialogue_timeline": timeline,
            "render_profile": {},
            "metadata": {"planner": "template", "seed": seed, "mood": mood, "prompt": prompt, "shot_count": shots_n},
        }

    def _shot(
        self,
        i: int,
        role: str,
        duration: float,
        place: str,
        ambience: str,
        speaker: dict[str, Any],
        listener: dict[str, Any],
    ) -> dict[str, Any]:
        setting = place[0].upper() + place[1:] + (f", {ambience}" if ambience else "")
        if role == "establishing":
            visual = f"Wide establishing view of {place}" + (f" at {ambience}" if ambience else "")
            motion, talking = "Slow crane down toward the meeting place", False
        elif role == "closing":
            visual = f"{speaker['name']} and {listener['name']} side by side as the scene settles"
            motion, talking = "Slow pull back to a wide view", False
        else:
            visual = f"Close-up on {speaker['name']} speaking to {listener['name']}"
            motion = [
                "Gentle push-in on the speaker",
                "Handheld push-in, slight sway",
                "Slow pan right across the face",
            ][i % 3]
            talking = True
        return {
            "id": f"shot_{i + 1:03d}",
            "duration_sec": duration,
            "setting": setting,
            "visual_description": visual,
            "start_base_image_id": f"frame_{i:03d}",
            "end_base_image_id": f"frame_{i + 1:03d}",
            "motion_prompt": motion,
            "is_talking_closeup": talking,
        }

    def _keyframes(
        self,
        roles: list[str],
        speakers: list[dict[str, Any]],
        place: str,
        ambience: str,
        a: dict[str, Any],
        b: dict[str, Any],
        seed: int,
    ) -> list[dict[str, Any]]:
        """Keyframe i ends shot i-1 and starts shot i; its picture serves both."""
        tail = f", {ambience}" if ambience else ""
        prompts = []
        for i in range(len(roles) + 1):
            after = roles[i] if i < len(roles) else None
            before = roles[i - 1] if i > 0 else None
            if after == "establishing":
                text = f"Wide view of {place}{tail}, no one in focus yet"
            elif after == "talk":
                other = b if speakers[i] is a else a
                text = f"Close-up of {speakers[i]['name']} {_at(place)} {place}{tail}, turning to {other['name']}"
            elif before == "talk" and after is None:
                other = b if speakers[i - 1] is a else a
                text = f"Close-up of {speakers[i - 1]['name']} {_at(place)} {place}{tail}, listening as {other['name']} answers"
            elif after is None:
                text = f"Wide view of {place}{tail}, {a['name']} and {b['name']} small in the frame"
            else:
                text = f"{a['name']} and {b['name']} together {_at(place)} {place}{tail}"
            prompts.append({"id": f"frame_{i:03d}", "prompt": text, "metadata": {"seed": stable_seed(seed, i)}})
        return prompts


def _title_from(place: str, mood: str) -> str:
    if place.startswith("the place"):
        return MOOD_TITLES[mood]
    return f"{MOOD_TITLES[mood]} {_at(place)} {place.title().replace('The ', 'the ', 1)}"


ON_PLACES = {
    "rooftop",
    "roof",
    "bridge",
    "beach",
    "shore",
    "street",
    "field",
    "meadow",
    "ship",
    "island",
    "train",
    "stage",
    "platform",
    "deck",
    "hill",
    "hills",
    "mountain",
}


def _at(place: str) -> str:
    """'on the rooftop' but 'in the forest'."""
    return "on" if place.split()[-1] in ON_PLACES else "in"


def _with_silences(lines: list[dict[str, Any]], total: float) -> list[dict[str, Any]]:
    """The timeline with every pause written out, so the plan reads as a complete score."""
    out: list[dict[str, Any]] = []
    cursor = 0.0
    for line in lines:
        if line["start_time_sec"] - cursor > 0.01:
            out.append(
                {
                    "type": "silence",
                    "start_time_sec": round(cursor, 2),
                    "duration_sec": round(line["start_time_sec"] - cursor, 2),
                }
            )
        out.append(line)
        cursor = line["start_time_sec"] + line["duration_sec"]
    if total - cursor > 0.01:
        out.append({"type": "silence", "start_time_sec": round(cursor, 2), "duration_sec": round(total - cursor, 2)})
    return out
