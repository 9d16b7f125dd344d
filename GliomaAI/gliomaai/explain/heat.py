"""GliomaAI's heat colours: dark red for low attribution, through red and orange, to yellow.

One definition for the pictures (matplotlib) and for Slicer's colour table. It ends in a
saturated yellow rather than white, so that the strongest attribution stays visible over bright
tissue.
"""


def heat_color(t: float) -> tuple:
    """The heat colour (r, g, b in 0..1) at t in 0..1."""
    t = min(1.0, max(0.0, float(t)))
    if t < 1 / 3:
        return (0.5 + 1.5 * t, 0.0, 0.0)
    return (1.0, 1.5 * (t - 1 / 3), 0.0)


def heat_colormap(colors: int = 256):
    """The heat colours as a matplotlib colormap."""
    from matplotlib.colors import ListedColormap

    return ListedColormap([heat_color(i / (colors - 1)) for i in range(colors)], name="gliomaai-heat")
