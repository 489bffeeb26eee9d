"""Series-text alignment: captioned synthetic series, a contrastive (CLIP) model, TEP fault descriptions."""

from moesaic.align.captions import EVENT_KINDS, CaptionedSeries, Event, describe, make_pairs
from moesaic.align.clip import (
    CLIPConfig,
    SeriesTextCLIP,
    caption_keys,
    embed_in_chunks,
    pair_batches,
    recall_at_k,
)
from moesaic.align.tep import FAULT_EVENTS, VARIABLES, fault_descriptions

__all__ = [
    "EVENT_KINDS",
    "FAULT_EVENTS",
    "VARIABLES",
    "CLIPConfig",
    "CaptionedSeries",
    "Event",
    "SeriesTextCLIP",
    "caption_keys",
    "describe",
    "embed_in_chunks",
    "fault_descriptions",
    "make_pairs",
    "pair_batches",
    "recall_at_k",
]
