"""The Wav2Lip generator network, laid out so the public `wav2lip.pth` / `wav2lip_gan.pth` weights load.

Module names and shapes follow the published checkpoints (Prajwal et al., 2020): a face encoder
of seven blocks, an audio encoder, a decoder of seven blocks with skip connections and an output
block. Imported only when the Wav2Lip backend loads: it needs torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

FACE_SIZE = 96
MEL_STEP = 16
MEL_BANDS = 80


class Conv2d(nn.Module):
    """Convolution, batch norm and ReLU, with an optional identity shortcut (same channels in and out)."""

    def __init__(self, cin: int, cout: int, kernel_size: int, stride: Any, padding: int, residual: bool = False):
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride, padding), nn.BatchNorm2d(cout))
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        if self.residual:
            out = out + x
        return self.act(out)


class Conv2dTranspose(nn.Module):
    """Transposed convolution, batch norm and ReLU: the decoder's upsampling step."""

    def __init__(self, cin: int, cout: int, kernel_size: int, stride: int, padding: int, output_padding: int = 0):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel_size, stride, padding, output_padding), nn.BatchNorm2d(cout)
        )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv_block(x))


def _res(channels: int, count: int) -> list[nn.Module]:
    return [Conv2d(channels, channels, 3, 1, 1, residual=True) for _ in range(count)]


class Wav2Lip(nn.Module):
    """Generator: (B, 1, 80, 16) mel windows + (B, 6, 96, 96) faces -> (B, 3, 96, 96) faces in [0, 1].

    The six face channels are the target frame with its lower half blanked, then a reference
    frame of the same face; the network redraws the lower half to match the audio.
    """

    def __init__(self) -> None:
        super().__init__()
        self.face_encoder_blocks = nn.ModuleList(
            [
                nn.Sequential(Conv2d(6, 16, 7, 1, 3)),  # 96
                nn.Sequential(Conv2d(16, 32, 3, 2, 1), *_res(32, 2)),  # 48
                nn.Sequential(Conv2d(32, 64, 3, 2, 1), *_res(64, 3)),  # 24
                nn.Sequential(Conv2d(64, 128, 3, 2, 1), *_res(128, 2)),  # 12
                nn.Sequential(Conv2d(128, 256, 3, 2, 1), *_res(256, 2)),  # 6
                nn.Sequential(Conv2d(256, 512, 3, 2, 1), *_res(512, 1)),  # 3
                nn.Sequential(Conv2d(512, 512, 3, 1, 0), Conv2d(512, 512, 1, 1, 0)),  # 1
            ]
        )
        self.audio_encoder = nn.Sequential(
            Conv2d(1, 32, 3, 1, 1),
            *_res(32, 2),
            Conv2d(32, 64, 3, (3, 1), 1),
            *_res(64, 2),
            Conv2d(64, 128, 3, 3, 1),
            *_res(128, 2),
            Conv2d(128, 256, 3, (3, 2), 1),
            *_res(256, 1),
            Conv2d(256, 512, 3, 1, 0),
            Conv2d(512, 512, 1, 1, 0),
        )
        self.face_decoder_blocks = nn.ModuleList(
            [
                nn.Sequential(Conv2d(512, 512, 1, 1, 0)),
                nn.Sequential(Conv2dTranspose(1024, 512, 3, 1, 0), *_res(512, 1)),  # 3
                nn.Sequential(Conv2dTranspose(1024, 512, 3, 2, 1, 1), *_res(512, 2)),  # 6
                nn.Sequential(Conv2dTranspose(768, 384, 3, 2, 1, 1), *_res(384, 2)),  # 12
                nn.Sequential(Conv2dTranspose(512, 256, 3, 2, 1, 1), *_res(256, 2)),  # 24
                nn.Sequential(Conv2dTranspose(320, 128, 3, 2, 1, 1), *_res(128, 2)),  # 48
                nn.Sequential(Conv2dTranspose(160, 64, 3, 2, 1, 1), *_res(64, 2)),  # 96
            ]
        )
        self.output_block = nn.Sequential(Conv2d(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0), nn.Sigmoid())

    def forward(self, mels: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        x = self.audio_encoder(mels)
        skips = []
        y = faces
        for block in self.face_encoder_blocks:
            y = block(y)
            skips.append(y)
        for block in self.face_decoder_blocks:
            x = torch.cat((block(x), skips.pop()), dim=1)
        return self.output_block(x)


def public_state_dict(model: Wav2Lip) -> dict[str, Any]:
    """The file layout of the published checkpoints: `{"state_dict": {"module." + key: tensor}}`."""
    return {"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}


def strip_prefix(state: Mapping[str, Any]) -> dict[str, Any]:
    """Keys without the `module.` prefix that training under DataParallel added."""
    return {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in state.items()}


def load_checkpoint(path: str, device: str = "cpu") -> tuple[Wav2Lip, dict[str, Any]]:
    """A Wav2Lip generator in eval mode with the weights of `path`, and facts about the file.

    Only tensors and plain containers are unpickled (`weights_only`), so a checkpoint cannot run code.
    """
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path} is not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
    state = checkpoint.get("state_dict", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, Mapping):
        raise ValueError(f"{path} holds no state_dict; expected the public wav2lip.pth / wav2lip_gan.pth layout")
    model = Wav2Lip()
    state = strip_prefix(state)
    expected = model.state_dict()
    # BatchNorm's step counter is not used at inference; older exports may lack it.
    missing = sorted(k for k in set(expected) - set(state) if not k.endswith("num_batches_tracked"))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(state) & set(expected) if tuple(state[k].shape) != tuple(expected[k].shape))
    if missing or unexpected or wrong:
        detail = "; ".join(
            f"{label}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
            if keys
        )
        raise ValueError(f"{path} is not a Wav2Lip generator checkpoint ({detail}); the SyncNet expert will not do")
    model.load_state_dict(state, strict=False)
    model.eval().to(device)
    facts = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "global_step": checkpoint.get("global_step") if isinstance(checkpoint, dict) else None,
    }
    return model, facts
