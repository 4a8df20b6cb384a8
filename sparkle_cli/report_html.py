"""`sparkle report`: a run as one self-contained HTML page (RUN/report.html) that opens from disk, offline.

Media are embedded as data: URIs while they fit a budget, so the page can be shared on its own; what does
not fit is linked by its path in the run folder, and the page says so. The page needs no script.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from sparkle_cli import __version__, atomic
from sparkle_cli.report_facts import Check, Keyframe, Line, Movie, RunFacts, Shot, StageTiming, Verdict, gather
from sparkle_cli.rundir import RunDir

REPORT_NAME = "report.html"
#: Bytes of media embedded in one page; past this, files are linked from the run folder instead.
EMBED_BUDGET = 48 * 1024 * 1024
THUMB_WIDTH = 480
POSTER_WIDTH = 1280
MIME = {".mp4": "video/mp4", ".webm": "video/webm", ".png": "image/png", ".jpg": "image/jpeg", ".vtt": "text/vtt"}

CSS = """
:root { --ink:#202124; --muted:#5f6368; --line:#dadce0; --bg:#f6f7f9; --accent:#1a73e8;
        --passed:#1e8e3e; --failed:#d93025; --skipped:#b06000; --pending:#80868b; --stopped:#8430ce; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 24px; }
header { background: #1f2430; color: #fff; padding: 30px 0 24px; }
header h1 { margin: 0 0 6px; font-size: 32px; line-height: 1.2; }
.logline { margin: 0 0 12px; font-size: 18px; color: #e8eaed; font-style: italic; }
.meta { color: #c4c7cc; font-size: 13px; }
.meta code { color: #fff; }
section { margin: 30px 0; }
h2 { font-size: 21px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 6px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 90%; }
.badge { display: inline-block; border-radius: 10px; padding: 1px 9px; font-size: 12px; font-weight: 600;
         color: #fff; background: var(--pending); white-space: nowrap; vertical-align: 2px; }
.badge.passed, .badge.succeeded { background: var(--passed); }
.badge.failed { background: var(--failed); }
.badge.skipped, .badge.paused { background: var(--skipped); }
.badge.stopped { background: var(--stopped); }
.badge.running { background: var(--accent); }
.movie video { display: block; width: 100%; max-height: 72vh; background: #000; border-radius: 8px; }
.facts { margin: 8px 0; color: var(--muted); font-size: 14px; }
.banner { background: #fef7e0; border-left: 5px solid #e37400; padding: 8px 12px; margin: 10px 0; }
.banner.failed { background: #fce8e6; border-color: var(--failed); }
.empty { display: flex; align-items: center; justify-content: center; min-height: 120px; background: #e8eaed;
         color: var(--muted); border-radius: 6px; text-align: center; padding: 12px; }
.board { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 14px; }
.frame { background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.frame img { display: block; width: 100%; aspect-ratio: 16 / 9; object-fit: cover; background: #000; }
.frame .cap { padding: 8px 10px; font-size: 13px; }
.shot { display: grid; grid-template-columns: minmax(0, 420px) minmax(0, 1fr); gap: 18px; background: #fff;
        border: 1px solid var(--line); border-radius: 8px; padding: 14px; margin-bottom: 14px; }
@media (max-width: 760px) { .shot { grid-template-columns: 1fr; } }
.shot video { display: block; width: 100%; border-radius: 6px; background: #000; }
.label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; margin-top: 8px; }
.lines { list-style: none; margin: 2px 0; padding: 0; }
.lines li { margin: 3px 0; }
.who { font-weight: 600; }
.when { color: var(--muted); font-size: 13px; font-variant-numeric: tabular-nums; }
.reasons { margin: 4px 0; padding-left: 18px; font-size: 14px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); font-size: 14px; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.nowrap { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { height: 10px; border-radius: 5px; background: var(--accent); min-width: 2px; }
details { margin-top: 6px; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
.muted { color: var(--muted); }
footer { color: var(--muted); font-size: 13px; padding: 20px 0 40px; }
"""


class Media:
    """Turns a run's files into `src` values: data: URIs within the budget, else paths relative to the page."""

    def __init__(self, run: RunDir, budget: int = EMBED_BUDGET) -> None:
        self.run = run
        self.left = budget
        self.embedded = 0
        self.linked: list[str] = []
        self._thumbs: dict[tuple[Path, int], bytes] = {}

    def _data(self, data: bytes, mime: str) -> str:
        self.left -= len(data)
        self.embedded += len(data)
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    def src(self, path: Path) -> str:
        size = path.stat().st_size
        if size <= self.left:
            return self._data(path.read_bytes(), MIME.get(path.suffix.lower(), "application/octet-stream"))
        relative = path.resolve().relative_to(self.run.path.resolve()).as_posix()
        self.linked.append(relative)
        return quote(relative)

    def text(self, path: Path) -> str:
        """A small text file (subtitles): always embedded, since a page opened from disk may not fetch files."""
        return self._data(path.read_bytes(), MIME.get(path.suffix.lower(), "text/plain"))

    def thumbnail(self, path: Path, width: int = THUMB_WIDTH) -> str:
        """A keyframe as a JPEG no wider than `width`: the storyboard stays light."""
        from PIL import Image

        key = (path, width)
        if key not in self._thumbs:
            with Image.open(path) as opened:
                picture = opened.convert("RGB")
            if picture.width > width:
                picture = picture.resize(
                    (width, round(picture.height * width / picture.width)), Image.Resampling.LANCZOS
                )
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=85)
            self._thumbs[key] = buffer.getvalue()
        return self._data(self._thumbs[key], "image/jpeg")


def badge(state: str, label: str | None = None) -> str:
    return f'<span class="badge {escape(state)}">{escape(label or state)}</span>'


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} s"


def _verdict(verdict: Verdict, what: str) -> str:
    parts = [badge(verdict.state, verdict.label)]
    if verdict.reasons:
        parts.append('<ul class="reasons">' + "".join(f"<li>{escape(r)}</li>" for r in verdict.reasons) + "</ul>")
    if verdict.checks:
        parts.append(f"<details><summary>{escape(what)}: {len(verdict.checks)} checks</summary>{_checks(verdict.checks)}</details>")  # fmt: skip
    return "".join(parts)


def _checks(checks: list[Check]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(c.name)}</code></td><td>{badge(c.status, c.status.replace('_', ' '))}</td>"
        f"<td>{escape(c.detail)}</td></tr>"
        for c in checks
    )
    return f"<table><tr><th>check</th><th>verdict</th><th>detail</th></tr>{rows}</table>"


def _header(facts: RunFacts) -> str:
    cast = list(facts.characters.values())
    with_cast = f" &middot; with {escape(', '.join(cast[:-1]) + ' and ' + cast[-1] if len(cast) > 1 else cast[0])}" if cast else ""  # fmt: skip
    logline = f'<p class="logline">{escape(facts.logline)}</p>' if facts.logline else ""
    qa = "QA skipped" if facts.qa_mode == "skip" else f"QA {facts.qa_mode}"
    return (
        f'<header><div class="wrap"><h1>{escape(facts.title)}</h1>{logline}'
        f'<div class="meta">{badge(facts.status)} &nbsp; run <code>{escape(facts.run_id)}</code> &middot; '
        f"{len(facts.shots)} shot{'s' if len(facts.shots) != 1 else ''}{with_cast} &middot; {escape(qa)}</div>"
        "</div></header>"
    )


def _banners(facts: RunFacts) -> str:
    out = []
    if facts.status != "succeeded":
        why = f": {facts.error}" if facts.error else ""
        kind = "failed" if facts.status == "failed" else ""
        out.append(
            f'<div class="banner {kind}">This run is <b>{escape(facts.status)}</b>{escape(why)}. '
            f"The page shows what it has made so far.</div>"
        )
    for text in (facts.note, facts.plan_note):
        if text:
            out.append(f'<div class="banner">{escape(text)}</div>')
    return "".join(out)


def _movie(movie: Movie | None, facts: RunFacts, media: Media) -> str:
    if movie is None:
        return '<section class="movie" id="movie"><h2>The movie</h2><div class="empty">No movie yet: the run has not assembled one.</div></section>'  # fmt: skip
    track = ""
    if movie.subtitles is not None:
        track = (
            f'<track kind="subtitles" srclang="{escape(facts.language)}" label="Subtitles ({escape(facts.language)})" '
            f'default src="{media.text(movie.subtitles)}">'
        )
    first = facts.keyframes[0].path if facts.keyframes else None
    poster = f' poster="{media.thumbnail(first, POSTER_WIDTH)}"' if first is not None else ""
    state = "" if movie.published else " <b>Not published:</b> final QA has not accepted this movie."
    details = ", ".join(
        x
        for x in (
            f"{movie.duration_s:.1f} s" if movie.duration_s else "",
            movie.resolution or "",
            f"{movie.size_bytes / 1024 / 1024:.1f} MiB",
        )
        if x
    )
    return (
        f'<section class="movie" id="movie"><h2>The movie</h2>'
        f'<video controls preload="metadata" playsinline{poster} src="{media.src(movie.path)}">{track}</video>'
        f'<div class="facts">{escape(details)}{state}</div>{_verdict(movie.verdict, "final QA")}</section>'
    )


def _storyboard(keyframes: list[Keyframe], media: Media) -> str:
    cards = []
    for frame in keyframes:
        picture = (
            f'<img alt="keyframe {escape(frame.id)}" src="{media.thumbnail(frame.path)}">'
            if frame.path is not None
            else '<div class="empty">not rendered yet</div>'
        )
        verdict = "" if frame.verdict.state == "passed" and not frame.verdict.reasons else _verdict(frame.verdict, "image QA")  # fmt: skip
        cards.append(
            f'<figure class="frame" style="margin:0">{picture}<figcaption class="cap"><b><code>{escape(frame.id)}</code></b> '
            f"{escape(frame.prompt)}{verdict}</figcaption></figure>"
        )
    return f'<section id="storyboard"><h2>Storyboard</h2><div class="board">{"".join(cards)}</div></section>'


def _line(line: Line) -> str:
    when = f"{line.start_s:.1f}&ndash;{line.end_s:.1f} s" + ("" if line.timed else " (planned)")
    return f'<li><span class="who">{escape(line.speaker)}:</span> {escape(line.text)} <span class="when">{when}</span></li>'


def _shot(shot: Shot, media: Media, keyframes: dict[str, Path | None]) -> str:
    if shot.clip is None:
        player = '<div class="empty">no clip yet</div>'
    else:
        # The shot's first keyframe stands in until the clip plays, instead of a black box; a rejected
        # clip is shown as it is.
        start = keyframes.get(shot.start_image)
        poster = f' poster="{media.thumbnail(start)}"' if start is not None and shot.verdict.state != "failed" else ""
        player = f'<video controls preload="metadata" playsinline{poster} src="{media.src(shot.clip)}"></video>'

    length = f"{shot.duration_s:.2f} s" + (
        f" (planned {shot.planned_s:.2f} s)" if abs(shot.duration_s - shot.planned_s) > 0.005 else ""
    )
    lines = (
        f'<ul class="lines">{"".join(_line(x) for x in shot.lines)}</ul>'
        if shot.lines
        else '<div class="muted">no lines</div>'
    )
    camera = f" &middot; camera: {escape(shot.camera)}" if shot.camera else ""
    checks = "checks of the last attempt" if shot.verdict.state == "failed" else "checks of the accepted clip"
    lipsync = f'<div class="muted">{escape(shot.lipsync_note)}</div>' if shot.lipsync_note else ""
    return (
        f'<article class="shot" id="{escape(shot.id)}"><div>{player}<div class="facts">{escape(shot.clip_kind)}</div></div>'
        f"<div><h3>{shot.number}. <code>{escape(shot.id)}</code> <span class='when'>{escape(length)}</span></h3>"
        f"<div>{escape(shot.description)}</div>"
        f'<div class="muted">{escape(shot.setting)} &middot; <code>{escape(shot.start_image)}</code> &rarr; '
        f"<code>{escape(shot.end_image)}</code>{camera}</div>"
        f'<div class="label">Motion prompt</div><div>{escape(shot.motion_prompt) or "<span class=muted>none</span>"}</div>'
        f'<div class="label">Lines</div>{lines}{lipsync}'
        f'<div class="label">Clip QA</div>{_verdict(shot.verdict, checks)}</div></article>'
    )


def _timings(stages: list[StageTiming]) -> str:
    longest = max((s.duration_s or 0.0 for s in stages), default=0.0) or 1.0
    rows = []
    for s in stages:
        made = "" if s.total is None else f"{s.made or 0} made, {s.skipped or 0} up to date"
        width = 100 * (s.duration_s or 0.0) / longest
        bar = f'<div class="bar" style="width:{width:.1f}%"></div>' if s.duration_s else ""
        rows.append(
            f"<tr><td><code>{escape(s.stage_id)}</code><div class='muted' style='font-size:12px'>{escape(s.description)}</div></td>"
            f"<td>{badge(s.status)}</td><td class='nowrap'>{escape(made)}</td><td class='num'>{seconds(s.duration_s)}</td>"
            f"<td style='width:28%'>{bar}</td></tr>"
        )
    total = sum(s.duration_s or 0.0 for s in stages)
    rows.append(f"<tr><th>total</th><td></td><td></td><td class='num'><b>{seconds(total)}</b></td><td></td></tr>")
    head = "<tr><th>stage</th><th>status</th><th>items</th><th>time</th><th></th></tr>"
    note = "<p class='muted'>Time of the latest pass of each stage; a stage whose items were all up to date takes almost none.</p>"  # fmt: skip
    return f'<section id="timing"><h2>Timing</h2><table>{head}{"".join(rows)}</table>{note}</section>'


def _notices(facts: RunFacts) -> str:
    groups = [
        ("Gaps in the dialogue timeline, filled with silence", facts.gaps),
        ("Shots made longer so that speech is never cut", facts.timing_changes),
        ("Other notices", facts.notices),
    ]
    body = "".join(
        f"<h3>{escape(title)}</h3><ul>{''.join(f'<li>{escape(x)}</li>' for x in items)}</ul>"
        for title, items in groups
        if items
    )
    return f'<section id="notices"><h2>Plan: gaps and notices</h2>{body or "<p class=muted>None: the plan needed no filling in.</p>"}</section>'  # fmt: skip


def render(facts: RunFacts, media: Media) -> str:
    """The page's HTML."""
    body = [
        _header(facts),
        '<main class="wrap">',
        _banners(facts),
        _movie(facts.movie, facts, media),
        _storyboard(facts.keyframes, media),
        '<section id="shots"><h2>Shots</h2>',
        *(_shot(shot, media, {k.id: k.path for k in facts.keyframes}) for shot in facts.shots),
        "</section>",
        _timings(facts.stages),
        _notices(facts),
        "</main>",
    ]
    written = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    linked = (
        f" Linked from the run folder (too large to embed): {', '.join(f'<code>{escape(x)}</code>' for x in media.linked)}."
        if media.linked
        else " Everything is embedded: the page can be moved or shared on its own."
    )
    footer = (
        f'<footer class="wrap">Written {written} by sparkle {escape(__version__)} from '
        f"<code>{escape(str(media.run.path))}</code>.{linked}</footer>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(facts.title)} - Sparkle Motion</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}{footer}</body></html>"
    )


@dataclass
class Written:
    path: Path
    size_bytes: int
    embedded_bytes: int
    linked: list[str]


def write_report(run: RunDir, budget: int = EMBED_BUDGET) -> Written:
    """Write RUN/report.html from the run as it is now."""
    media = Media(run, budget)
    page = render(gather(run), media)
    target = run.path / REPORT_NAME
    atomic.write_text(target, page)
    return Written(target, target.stat().st_size, media.embedded, media.linked)
