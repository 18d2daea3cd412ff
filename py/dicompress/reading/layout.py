"""Byte-level pixel layout conversions in pure Python (no numpy needed).

Frames here are ``bytes``-like buffers of ``samples`` samples per pixel, each sample
``width`` bytes wide. Slicing with steps runs at C speed, so these stay fast enough for
the browser fallback where numpy is absent.
"""


def swap_byte_order(frame: bytes, width: int) -> bytes:
    """Return `frame` with the byte order of every `width`-byte sample reversed.

    Parameters
    ----------
    frame : bytes
        Samples of `width` bytes each.
    width : int
        Bytes per sample; 1 returns the frame unchanged.

    Returns
    -------
    bytes
        The byte-swapped samples.
    """
    if width == 1:
        return bytes(frame)
    out = bytearray(len(frame))
    for byte in range(width):
        out[byte::width] = frame[width - 1 - byte :: width]
    return bytes(out)


def planar_to_interleaved(frame: bytes, samples: int, width: int) -> bytes:
    """Return a Planar Configuration 1 frame (RRR..GGG..BBB..) as interleaved (RGBRGB..).

    Parameters
    ----------
    frame : bytes
        One frame, one plane per sample.
    samples : int
        Samples per pixel.
    width : int
        Bytes per sample.

    Returns
    -------
    bytes
        The same samples in Planar Configuration 0 order.
    """
    if samples == 1:
        return bytes(frame)
    plane = len(frame) // samples
    out = bytearray(len(frame))
    stride = samples * width
    for sample in range(samples):
        source = frame[sample * plane : (sample + 1) * plane]
        for byte in range(width):
            out[sample * width + byte :: stride] = source[byte::width]
    return bytes(out)


def interleaved_to_planar(frame: bytes, samples: int, width: int) -> bytes:
    """Return an interleaved frame (RGBRGB..) as Planar Configuration 1 (RRR..GGG..BBB..).

    Parameters
    ----------
    frame : bytes
        One frame, samples interleaved per pixel.
    samples : int
        Samples per pixel.
    width : int
        Bytes per sample.

    Returns
    -------
    bytes
        The same samples in Planar Configuration 1 order.
    """
    if samples == 1:
        return bytes(frame)
    plane = len(frame) // samples
    out = bytearray(len(frame))
    stride = samples * width
    for sample in range(samples):
        target = bytearray(plane)
        for byte in range(width):
            target[byte::width] = frame[sample * width + byte :: stride]
        out[sample * plane : (sample + 1) * plane] = target
    return bytes(out)
