"""``python -m swin_edu.figures`` renders every explorer's default view to PNG and SVG."""

from swin_edu.figures import FIGURES, main


def test_figures_command_writes_every_view(tmp_path, capsys):
    main(["--out", str(tmp_path)])
    printed = capsys.readouterr().out
    for name in FIGURES:
        png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert 10_000 < png.stat().st_size < 300_000, name
        assert b"<svg" in svg.read_bytes()[:2000] and svg.stat().st_size < 1_500_000, name
        assert str(png) in printed
    assert len(list(tmp_path.iterdir())) == 2 * len(FIGURES) == 14
