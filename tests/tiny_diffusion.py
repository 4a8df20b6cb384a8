"""Tiny random-weight SDXL and Wan 2.1 pipelines, built offline from configs and saved to a folder.

Shapes follow diffusers' own pipeline tests. Tokenizers are written from a small vocabulary
(CLIP: the 256 byte symbols with and without the end-of-word mark; UMT5: a word-level table),
so nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CLIP_SPECIALS = ["<|startoftext|>", "<|endoftext|>"]


def clip_tokenizer() -> Any:
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {s: i for i, s in enumerate(CLIP_SPECIALS)}
    for symbol in symbols:
        vocab.setdefault(symbol, len(vocab))
        vocab.setdefault(symbol + "</w>", len(vocab))
    # SDXL pads every prompt to 77 tokens, as the real tokenizer does.
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77, pad_token="<|endoftext|>")


def umt5_tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<pad>", "</s>", "<unk>", *"abcdefghijklmnopqrstuvwxyz0123456789.,"]
    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )


def save_tiny_sdxl(folder: Path) -> Path:
    """A StableDiffusionXLPipeline a few kB in size (2-block UNet with text_time embeddings)."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tokenizer = clip_tokenizer()
    torch.manual_seed(0)
    text_config = CLIPTextConfig(
        bos_token_id=tokenizer.convert_tokens_to_ids("<|startoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=len(tokenizer),
        hidden_act="gelu",
        projection_dim=32,
        max_position_embeddings=77,
    )
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 1),
        # 6 micro-conditioning numbers of 8 dims each, plus the pooled text projection (32).
        projection_class_embeddings_input_dim=6 * 8 + 32,
        cross_attention_dim=32 + 32,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 16, 16, 16],
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        norm_num_groups=8,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        sample_size=64,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, steps_offset=1, beta_schedule="scaled_linear", timestep_spacing="leading"
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(text_config),
        text_encoder_2=CLIPTextModelWithProjection(text_config),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )
    pipe.save_pretrained(folder)
    return folder


def save_tiny_wan(folder: Path, *, first_last: bool = True) -> Path:
    """A WanImageToVideoPipeline: first-last-frame (FLF2V layout) or plain image-to-video."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel, UMT5Config, UMT5EncoderModel

    tokenizer = umt5_tokenizer()
    torch.manual_seed(0)
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    )
    image_size = 16
    vision = CLIPVisionConfig(
        hidden_size=8,
        projection_dim=8,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=image_size,
        intermediate_size=16,
        patch_size=4,
    )
    image_tokens = (image_size // 4) ** 2 + 1
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16 + 16 + 4,
        out_channels=16,
        text_dim=32,
        freq_dim=32,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        image_dim=8,
        # The FLF2V checkpoint embeds two CLIP images (first and last) with a learned position table.
        pos_embed_seq_len=2 * image_tokens if first_last else None,
    )
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        transformer=transformer,
        image_encoder=CLIPVisionModel(vision),
        image_processor=CLIPImageProcessor(crop_size=image_size, size=image_size),
    )
    pipe.save_pretrained(folder)
    return folder


def save_tiny_ip_adapter(folder: Path, sdxl_folder: Path, *, tokens: int = 4) -> Path:
    """IP-Adapter weights for the tiny SDXL in h94/IP-Adapter's layout, random values.

    `sdxl_models/ip-adapter_sdxl.safetensors` holds `image_proj.proj.{weight,bias}` (image embedding
    -> `tokens` x cross-attention width), `image_proj.norm.{weight,bias}`, and for every
    cross-attention processor `ip_adapter.<n>.to_k_ip.weight` / `to_v_ip.weight`, where n counts all
    of the UNet's attention processors in order (self-attention ones hold nothing: 1, 3, 5, ...).
    `sdxl_models/image_encoder/` is a CLIPVisionModelWithProjection saved by transformers.
    """
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    unet = UNet2DConditionModel.from_pretrained(sdxl_folder, subfolder="unet")
    cross = int(unet.config.cross_attention_dim)
    widths = list(unet.config.block_out_channels)
    torch.manual_seed(1)
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=37,
            projection_dim=16,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
        )
    )
    encoder.save_pretrained(folder / "sdxl_models" / "image_encoder")
    embed = encoder.config.projection_dim
    tensors = {
        "image_proj.proj.weight": torch.randn(tokens * cross, embed) * 0.5,
        "image_proj.proj.bias": torch.randn(tokens * cross) * 0.1,
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    for index, name in enumerate(unet.attn_processors):
        if not name.endswith("attn2.processor"):
            continue
        if name.startswith("mid_block"):
            width = widths[-1]
        elif name.startswith("up_blocks"):
            width = list(reversed(widths))[int(name[len("up_blocks.")])]
        else:
            width = widths[int(name[len("down_blocks.")])]
        for proj in ("to_k_ip", "to_v_ip"):
            tensors[f"ip_adapter.{index}.{proj}.weight"] = torch.randn(width, cross) * 0.5
    (folder / "sdxl_models").mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "sdxl_models" / "ip-adapter_sdxl.safetensors"))
    return folder
