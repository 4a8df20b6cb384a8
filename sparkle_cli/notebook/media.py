"""The artifacts view: each stage's files, with images, audio and video shown as they land."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as widgets

from sparkle_cli.notebook import render

# Media travel to the browser inside the widget state; past this size only the path is shown.
INLINE_LIMIT = 64 * 1024 * 1024
PLAYERS = {"image": widgets.Image, "audio": widgets.Audio, "video": widgets.Video}


def media_widget(artifact: dict[str, Any], width: int) -> widgets.Widget | None:
    """A thumbnail or player for a playable artifact, or None when it cannot be shown inline."""
    player = PLAYERS.get(artifact.get("media_type") or "")
    path = Path(artifact.get("local_path") or "")
    if player is None or not artifact.get("playback_ready") or not path.is_file():
        return None
    if path.stat().st_size > INLINE_LIMIT:
        return None
    options: dict[str, Any] = {"width": width} if player is not widgets.Audio else {}
    if player is not widgets.Image:
        options.update(autoplay=False, controls=True)
    return player.from_file(str(path), **options)


class ArtifactsView:
    """Artifacts grouped by stage, with a stage filter and automatic fetching of media."""

    def __init__(self, auto_fetch: bool = True) -> None:
        self.stage_filter = widgets.Dropdown(options=[("all stages", "all")], value="all", description="Stage")
        self.auto_fetch = widgets.Checkbox(value=auto_fetch, description="Auto-fetch media", indent=False)
        self.fetch_button = widgets.Button(description="Fetch media", icon="download")
        self.box = widgets.VBox()
        self.widget = widgets.VBox([widgets.HBox([self.stage_filter, self.auto_fetch, self.fetch_button]), self.box])
        self.payload: dict[str, Any] | None = None
        # What the view lists, one entry per artifact, with the kind of widget that shows it.
        self.listing: list[dict[str, Any]] = []
        self.media: dict[tuple[str, str, str], widgets.Widget] = {}
        self._shown: Any = None
        self._transient: list[widgets.Widget] = []
        self.stage_filter.observe(lambda _: self.render(), "value")
        self.auto_fetch.observe(lambda _: self.render(), "value")
        self.fetch_button.on_click(lambda _: self.render(fetch=True))

    def update(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        stage_ids = [s["stage_id"] for s in payload.get("stages") or []]
        options = [("all stages", "all"), *((s, s) for s in stage_ids)]
        if list(self.stage_filter.options) != options:
            current = self.stage_filter.value
            self.stage_filter.options = options
            self.stage_filter.value = current if current in {"all", *stage_ids} else "all"
        self.render()

    def media_for(self, artifact_type: str) -> list[widgets.Widget]:
        """The players showing artifacts of one type (the final video, say)."""
        return [e["widget"] for e in self.listing if e["artifact_type"] == artifact_type and e["widget"] is not None]

    def render(self, fetch: bool = False) -> None:
        if self.payload is None:
            return
        fetch = fetch or bool(self.auto_fetch.value)
        wanted = self.stage_filter.value
        stages = [s for s in self.payload.get("stages") or [] if wanted in ("all", s["stage_id"])]
        key = (wanted, fetch, [(s["stage_id"], s.get("status"), s.get("qa_summary"), [(a["local_path"], a["checksum_sha256"]) for a in s["artifacts"]]) for s in stages])  # fmt: skip
        if key == self._shown:
            return  # nothing new: rebuilding would resend every thumbnail and player
        old, self._transient = self._transient, []
        listing: list[dict[str, Any]] = []
        sections = [self._section(stage, fetch, listing) for stage in stages]
        if not sections:
            sections = [self._keep(widgets.HTML("<i>No artifacts yet.</i>"))]
        self.box.children = sections
        self.listing, self._shown = listing, key
        for w in old:
            w.close()
        self._prune()

    def _prune(self) -> None:
        """Close players whose file was made again or is gone, so a long session does not pile them up."""
        assert self.payload is not None
        current = {(s["stage_id"], a["local_path"], a["checksum_sha256"]) for s in self.payload.get("stages") or [] for a in s["artifacts"]}  # fmt: skip
        for key in [k for k in self.media if k not in current]:
            self.media.pop(key).close()

    def _keep(self, widget: widgets.Widget) -> widgets.Widget:
        self._transient.append(widget)
        return widget

    def _section(self, stage: dict[str, Any], fetch: bool, listing: list[dict[str, Any]]) -> widgets.Widget:
        stage_id = stage["stage_id"]
        summary = stage.get("media_summary") or {}
        head = (
            f"<h4 style='margin:10px 0 4px'><code>{stage_id}</code> {render.badge(stage.get('status'))} "
            f"{render.qa_badge(stage.get('qa_summary'))} <span style='color:#5f6368;font-weight:normal'>"
            f"{stage.get('count', 0)} files, {(summary.get('total_bytes') or 0) / 1024 / 1024:.1f} MiB</span></h4>"
        )
        thumbs: list[widgets.Widget] = []
        players: list[widgets.Widget] = []
        files: list[str] = []
        for artifact in stage.get("artifacts") or []:
            shown = self._media(stage_id, artifact) if fetch else None
            listing.append({**artifact, "stage_id": stage_id, "widget": shown})
            line = render.artifact_line(artifact)
            if artifact["artifact_type"] == "video_final":
                line = f"{render.badge('succeeded', 'final video')} {line}"
            if shown is None:
                files.append(line)
            elif artifact["media_type"] == "image":
                caption = self._keep(widgets.HTML(f"<div style='font-size:80%;width:160px'>{line}</div>"))
                thumbs.append(self._keep(widgets.VBox([shown, caption])))
            else:
                players.append(self._keep(widgets.VBox([self._keep(widgets.HTML(line)), shown])))
        parts: list[widgets.Widget] = [self._keep(widgets.HTML(head))]
        if thumbs:
            parts.append(self._keep(widgets.HBox(thumbs, layout=widgets.Layout(flex_flow="row wrap"))))
        parts += players
        if files:
            parts.append(self._keep(widgets.HTML("<br>".join(files))))
        return self._keep(widgets.VBox(parts))

    def _media(self, stage_id: str, artifact: dict[str, Any]) -> widgets.Widget | None:
        key = (stage_id, artifact["local_path"], artifact["checksum_sha256"])
        if key not in self.media:
            width = (
                480 if artifact["artifact_type"] == "video_final" else 160 if artifact["media_type"] == "image" else 320
            )
            shown = media_widget(artifact, width)
            if shown is None:
                return None
            self.media[key] = shown
        return self.media[key]
