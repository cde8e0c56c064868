"""huoba.nn.utils.rnn: pad_sequence (packed sequences are not supported)."""
__all__ = ["pad_sequence", "PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padding with padding_value."""
    from ...ops.shape import constant_pad, stack
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        widths = [(extra, 0) if padding_side == "left" else (0, extra)] + [(0, 0)] * (s.dim() - 1)
        padded.append(constant_pad(s, widths, padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


class PackedSequence:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("huoba does not support PackedSequence; pad the batch (pad_sequence) instead")


def pack_padded_sequence(*args, **kwargs):
    raise NotImplementedError("huoba does not support PackedSequence; pad the batch (pad_sequence) instead")


def pad_packed_sequence(*args, **kwargs):
    raise NotImplementedError("huoba does not support PackedSequence; pad the batch (pad_sequence) instead")


def pack_sequence(*args, **kwargs):
    raise NotImplementedError("huoba does not support PackedSequence; pad the batch (pad_sequence) instead")
